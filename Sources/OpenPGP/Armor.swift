import Foundation

/// ASCII armor (RFC 4880 section 6): the base64 form `gpg --armor` writes.
enum Armor {
    /// The binary packets of an armored public key block; input that is not
    /// armored is returned unchanged, so binary keys pass straight through.
    static func dearmor(_ input: [UInt8]) throws(OpenPGPError) -> [UInt8] {
        let text = String(decoding: input.prefix(64 * 1024 * 1024), as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN PGP ") else {
            guard let first = input.first, first & 0x80 != 0 else {
                throw OpenPGPError(
                    .malformed,
                    "the file is neither an ASCII-armored nor a binary OpenPGP key (export it with gpg --export --armor KEYID)"
                )
            }
            return input
        }
        let afterBegin = text[begin.upperBound...]
        guard let dashes = afterBegin.range(of: "-----") else {
            throw OpenPGPError(.malformed, "the armor header line is not closed with -----")
        }
        let label = String(afterBegin[..<dashes.lowerBound])
        if label.contains("PRIVATE") || label.contains("SECRET") {
            throw OpenPGPError(
                .secretKey, "this is a private key; give the public key instead (gpg --export --armor KEYID)")
        }
        guard label == "PUBLIC KEY BLOCK" else {
            throw OpenPGPError(.malformed, "the armor holds a PGP \(label.lowercased()), not a public key block")
        }
        let lines = afterBegin[dashes.upperBound...].split(
            omittingEmptySubsequences: false, whereSeparator: \.isNewline
        )
        .map { $0.trimmingCharacters(in: .whitespaces) }
        var index = 1  // the rest of the BEGIN line
        // Armor headers ("Comment: ...") run to the first blank line.
        while index < lines.count, !lines[index].isEmpty, lines[index].contains(": ") { index += 1 }
        var base64 = ""
        var checksum: String?
        var ended = false
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.isEmpty { continue }
            if line.hasPrefix("-----END PGP ") {
                ended = true
                break
            }
            if line.hasPrefix("="), line.count == 5 {
                checksum = String(line.dropFirst())
                continue
            }
            base64 += line
        }
        guard ended else {
            throw OpenPGPError(.malformed, "the armored key has no -----END PGP PUBLIC KEY BLOCK----- line")
        }
        guard let data = Data(base64Encoded: base64) else {
            throw OpenPGPError(.malformed, "the armored key's base64 is damaged")
        }
        let bytes = [UInt8](data)
        if let checksum {
            let expected = crc24(bytes)
            let given = Data(base64Encoded: checksum).map([UInt8].init) ?? []
            guard given == [UInt8(expected >> 16 & 0xFF), UInt8(expected >> 8 & 0xFF), UInt8(expected & 0xFF)] else {
                throw OpenPGPError(
                    .malformed, "the armored key's checksum does not match: the key was damaged in transit")
            }
        }
        return bytes
    }

    /// The CRC-24 of RFC 4880 section 6.1.
    static func crc24(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB704CE
        for byte in bytes {
            crc ^= UInt32(byte) << 16
            for _ in 0..<8 {
                crc <<= 1
                if crc & 0x100_0000 != 0 { crc ^= 0x186_4CFB }
            }
        }
        return crc & 0xFF_FFFF
    }
}

/// Byte edits that JSON cares about (brackets, quotes, escapes, control
/// characters, half a UTF-8 sequence) at random places of a line, the same
/// every run: for the tests that hold a quick line reader against the tree parse.
struct ByteEdits {
    static let alphabet = Array(#"{}[]",:\ tu0e1-."#.utf8) + [0x09, 0x01, 0xC3, 0xA9]

    private var state: UInt64
    private let alphabet: [UInt8]

    init(seed: UInt64, alphabet: [UInt8] = ByteEdits.alphabet) {
        state = seed
        self.alphabet = alphabet
    }

    /// `line` with one or two bytes removed, inserted or replaced.
    mutating func edited(_ line: String) -> [UInt8] {
        var bytes = Array(line.utf8)
        for _ in 0..<(1 + next(2)) where !bytes.isEmpty {
            let at = next(bytes.count)
            switch next(3) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(alphabet[next(alphabet.count)], at: at)
            default: bytes[at] = alphabet[next(alphabet.count)]
            }
        }
        return bytes
    }

    /// splitmix64.
    private mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// Writes one packet whose length is not known in advance, as partial body
/// lengths (RFC 4880 section 4.2.2.4): full chunks of `chunkSize` (a power of
/// two, at least 512) while data comes, then a final definite length. A
/// body that ends before the first chunk fills gets a plain header.
struct PartialBodyWriter {
    let tag: Packet.Tag
    let chunkSize: Int
    private let chunkExponent: UInt8
    private var buffer: [UInt8] = []
    private var wroteHeader = false

    init(tag: Packet.Tag, chunkSize: Int) {
        precondition(chunkSize >= 512 && chunkSize <= 1 << 30 && chunkSize & (chunkSize - 1) == 0)
        self.tag = tag
        self.chunkSize = chunkSize
        self.chunkExponent = UInt8(chunkSize.trailingZeroBitCount)
        buffer.reserveCapacity(chunkSize)
    }

    mutating func update(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        buffer.append(contentsOf: bytes)
        guard buffer.count > chunkSize else { return }
        // One byte more than a chunk is kept back, so the final part is never
        // made to look like a chunk that has data after it.
        var start = 0
        while buffer.count - start > chunkSize {
            if !wroteHeader {
                out.append(0xC0 | tag.rawValue)
                wroteHeader = true
            }
            out.append(224 + chunkExponent)
            out.append(contentsOf: buffer[start..<(start + chunkSize)])
            start += chunkSize
        }
        buffer.removeFirst(start)
    }

    mutating func finish(into out: inout [UInt8]) {
        if !wroteHeader { out.append(0xC0 | tag.rawValue) }
        out += Packet.bodyLength(buffer.count)
        out += buffer
        buffer = []
        wroteHeader = true
    }
}

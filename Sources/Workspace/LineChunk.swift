/// Lines copied out of the reader's buffer, so they can be parsed on other
/// threads while the reader moves on.
struct LineChunk: Sendable {
    private var bytes: [UInt8] = []
    private var ranges: [Range<Int>] = []
    /// 1-based line numbers in the input, for rejections.
    private(set) var lineNumbers: [Int] = []

    var count: Int { ranges.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
        lineNumbers.removeAll(keepingCapacity: true)
    }

    mutating func append(_ line: UnsafeRawBufferPointer, number: Int) {
        let start = bytes.count
        bytes.append(contentsOf: line)
        ranges.append(start..<bytes.count)
        lineNumbers.append(number)
    }

    /// `body` applied to each of `lines`, in order.
    func map<T>(_ lines: Range<Int>, _ body: (UnsafeRawBufferPointer) -> T) -> [T] {
        bytes.withUnsafeBytes { buffer in
            lines.map { index in body(UnsafeRawBufferPointer(rebasing: buffer[ranges[index]])) }
        }
    }

    /// Parses `lines` with a copy of `parser`, which has already read the
    /// input's header, if any.
    func parse(_ lines: Range<Int>, with parser: ProfileLineParser) -> [ParsedLine] {
        var parser = parser
        return bytes.withUnsafeBytes { buffer in
            lines.map { index in parser.parse(UnsafeRawBufferPointer(rebasing: buffer[ranges[index]])) }
        }
    }
}

import Foundation

/// Reads a file descriptor in large chunks and hands out its lines as raw bytes,
/// without copying each line into a String: the importer parses JSON straight
/// from this buffer.
final class LineReader {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes in `buffer[start..<end]` are read but not yet handed out.
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(fileDescriptor: Int32, ownsDescriptor: Bool, chunkSize: Int = 4 << 20) {
        self.fd = fileDescriptor
        self.ownsDescriptor = ownsDescriptor
        self.buffer = .allocate(byteCount: chunkSize, alignment: 1)
    }

    convenience init(path: String) throws(WorkspaceError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw WorkspaceError(.unreadableInput, "Cannot open \(path): \(String(cString: strerror(errno))).")
        }
        self.init(fileDescriptor: fd, ownsDescriptor: true)
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// The next line without its `\n` (and `\r`), valid until the next call; nil at the end.
    func nextLine() throws(WorkspaceError) -> UnsafeRawBufferPointer? {
        while true {
            if start < end, let base = buffer.baseAddress {
                let from = base + start
                if let newline = memchr(from, 0x0A, end - start) {
                    let length = UnsafeRawPointer(newline) - UnsafeRawPointer(from)
                    start += length + 1
                    lineNumber += 1
                    return Self.trimmingCarriageReturn(UnsafeRawBufferPointer(start: from, count: length))
                }
            }
            if atEOF {
                guard start < end else { return nil }
                // A last line without a trailing newline.
                let line = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: end - start)
                start = end
                lineNumber += 1
                return Self.trimmingCarriageReturn(line)
            }
            try fill()
        }
    }

    private func fill() throws(WorkspaceError) {
        if start > 0 {
            let pending = end - start
            if pending > 0 {
                memmove(buffer.baseAddress!, buffer.baseAddress! + start, pending)
            }
            start = 0
            end = pending
        }
        if end == buffer.count {
            // One line longer than the buffer: grow rather than fail.
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 1)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
            buffer.deallocate()
            buffer = bigger
        }
        let count = read(fd, buffer.baseAddress! + end, buffer.count - end)
        if count < 0 {
            if errno == EINTR { return }
            throw WorkspaceError(.unreadableInput, "Cannot read input: \(String(cString: strerror(errno))).")
        }
        if count == 0 { atEOF = true }
        end += count
    }

    private static func trimmingCarriageReturn(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = line.last, last == 0x0D {
            return UnsafeRawBufferPointer(rebasing: line.dropLast())
        }
        return line
    }
}

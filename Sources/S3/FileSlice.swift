import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A local file opened once for an upload. Parts read it by offset with
/// pread, so concurrent parts share one descriptor without a shared position.
public final class ReadOnlyFile: Sendable {
    public let path: String
    public let size: Int64
    let descriptor: Int32

    public init(path: String) throws(S3ConfigurationError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .invalidArgument("cannot read the file '\(path)': \(Self.errnoText())") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let why = Self.errnoText()
            close(fd)
            throw .invalidArgument("cannot read the file '\(path)': \(why)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .invalidArgument("cannot upload '\(path)': it is not a regular file")
        }
        self.path = path
        self.size = Int64(info.st_size)
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Reads on NIO's blocking-I/O pool: a cold disk must not stall the few
    /// threads that run Swift tasks and drive the uploads.
    func read(offset: Int64, length: Int) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            var done = 0
            while done < length {
                var count = 0
                // The closure's result moves the writer index, so an error (-1) must not come back through it.
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - done) { raw in
                    count = pread(descriptor, raw.baseAddress, length - done, off_t(offset) + off_t(done))
                    return max(count, 0)
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw S3ConfigurationError.invalidArgument("cannot read the file '\(path)': \(Self.errnoText())")
                }
                // The length came from fstat when the upload began; a shorter
                // file means it changed underneath, and the object would be wrong.
                guard count > 0 else {
                    throw S3ConfigurationError.invalidArgument(
                        "the file '\(path)' got shorter while it was being uploaded")
                }
                done += count
            }
            return buffer
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// A byte range of a file, read again each time it is sent so a retried
/// part costs no memory while it waits.
public struct FileSlice: Sendable {
    public let file: ReadOnlyFile
    public let offset: Int64
    public let length: Int

    /// Small enough that four parts in flight stay a few MiB and below the
    /// 1 MiB mmap threshold the CLI sets, so chunks reuse heap memory instead
    /// of faulting in fresh pages; large enough that the thread-pool hop per
    /// chunk does not show.
    static let chunkSize = 512 * 1024

    public init(file: ReadOnlyFile, offset: Int64, length: Int) {
        self.file = file
        self.offset = offset
        self.length = length
    }

    public func chunks() -> Chunks { Chunks(slice: self) }

    public struct Chunks: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        let slice: FileSlice

        public struct AsyncIterator: AsyncIteratorProtocol {
            let slice: FileSlice
            var position = 0

            public mutating func next() async throws -> ByteBuffer? {
                guard position < slice.length else { return nil }
                let count = Swift.min(FileSlice.chunkSize, slice.length - position)
                let chunk = try await slice.file.read(offset: slice.offset + Int64(position), length: count)
                position += count
                return chunk
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(slice: slice) }
    }
}

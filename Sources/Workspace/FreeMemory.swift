import Foundation

/// Memory the allocator keeps after a bulk import's batches are freed.
enum FreeMemory {
    /// glibc's malloc_trim, where there is one: glibc keeps what threads freed
    /// for their next allocations unless asked to give it back, and a large
    /// import's sort would otherwise take its share on top of it.
    static func release() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}

import Foundation

/// A position in one line's bytes, for the scanners that read JSON Lines
/// records without building their tree; the moves they all make.
protocol ByteCursor {
    var bytes: UnsafeRawBufferPointer { get }
    var index: Int { get set }
}

// Called per byte of every imported line: kept inline, as the scanners' own
// private copies were, rather than left to the optimizer's size heuristics.
extension ByteCursor {
    /// The byte here, or nil at the end.
    @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Moves past `byte` if it is next.
    @inline(__always) mutating func take(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// Moves past `word` if it comes next.
    mutating func take(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count, memcmp(bytes.baseAddress! + index, word.utf8Start, count) == 0 else {
            return false
        }
        index += count
        return true
    }

    /// Moves past JSON's whitespace.
    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }
}

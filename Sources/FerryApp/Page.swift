import Foundation

/// One page of a list and the cursor of the next, if there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Opaque; pass it back as `cursor` for the next page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// How a list is paged: at most `limit` items after `cursor`.
public struct PageRequest: Sendable {
    public static let maximumLimit = 1000
    /// Lists are read up to the page asked for; a forged cursor cannot ask for more than this.
    static let maximumOffset = 1_000_000
    public var limit: Int
    public var offset: Int

    public init(limit: Int = 100, offset: Int = 0) {
        self.limit = limit
        self.offset = offset
    }

    /// Checks a limit and decodes a cursor handed out with an earlier page.
    public init(limit: Int?, cursor: String?) throws(AppError) {
        let limit = limit ?? 100
        guard (1...Self.maximumLimit).contains(limit) else {
            throw AppError.badInput("limit must be between 1 and \(Self.maximumLimit)", field: "limit")
        }
        var offset = 0
        if let cursor {
            guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
                text.hasPrefix("o:"), let value = Int(text.dropFirst(2)), (0...Self.maximumOffset).contains(value)
            else {
                throw AppError.badInput("cursor is not one this server handed out", field: "cursor")
            }
            offset = value
        }
        self.init(limit: limit, offset: offset)
    }

    static func cursor(offset: Int) -> String { Data("o:\(offset)".utf8).base64EncodedString() }

    /// The page of `all` this request asks for.
    public func slice<T>(_ all: [T]) -> Page<T> {
        let start = min(offset, all.count)
        let end = min(start + limit, all.count)
        return Page(items: Array(all[start..<end]), nextCursor: end < all.count ? Self.cursor(offset: end) : nil)
    }
}

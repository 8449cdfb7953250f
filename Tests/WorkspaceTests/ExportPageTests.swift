import Segmentation
import Testing

@testable import Workspace

@Suite struct ExportPageTests {
    static func page(_ rows: [(Int64, [JSONValue])]) -> ExportPage {
        var page = ExportPage(fieldCount: 2)
        for (pid, values) in rows {
            page.startRow(pid: pid, status: "realized", qualifiedAt: Double(pid))
            for value in values { page.append(value) }
            page.finishRow()
        }
        return page
    }

    static func json(_ page: ExportPage) -> [[JSONValue]] {
        (0..<page.count).map { row in (0..<page.fieldCount).map { page.json(row: row, field: $0) } }
    }

    @Test func stringsLiveInTheTextAndOtherValuesStayJSON() {
        let page = Self.page([(1, [.string("Zoë 😀"), .int(3)]), (2, [.null, .array([.string("a")])])])
        #expect(page.pids == [1, 2])
        #expect(page.text == Array("Zoë 😀".utf8))
        #expect(page[0, 0] == .text(0..<page.text.count))
        #expect(page[1, 1] == .json(.array([.string("a")])))
    }

    /// A row read from a document whose list came back short or long still
    /// has exactly one value per field.
    @Test func aRowIsPaddedOrCutToItsFields() {
        let page = Self.page([(1, [.int(1)]), (2, [.int(1), .int(2), .int(3)])])
        #expect(Self.json(page) == [[.int(1), .null], [.int(1), .int(2)]])
    }

    /// Two reads of one page (members whose profiles went between them) join
    /// with the second's strings still pointing at their own bytes.
    @Test func joinedPagesKeepTheirStrings() {
        let first = Self.page([(1, [.string("first"), .int(1)])])
        let second = Self.page([(5, [.string("second"), .string("third")]), (6, [.null, .string("")])])
        var joined = first
        joined.append(contentsOf: second)
        #expect(joined.pids == [1, 5, 6])
        #expect(joined.qualifiedAt == [1, 5, 6])
        #expect(Self.json(joined) == Self.json(first) + Self.json(second))
    }
}

import ArgumentParser
import Foundation
import Segmentation
import Workspace

/// `ferry segments show NAME|ID`
struct SegmentsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a segment's definition and latest evaluation as JSON.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Segment name or id.", valueName: "name|id"))
    var segment: String

    /// The JSON shape of a segment in `show` and `list --json`; the definition is
    /// typed the way the reference stores PQL.
    struct Output: Encodable {
        struct Expression: Encodable {
            var type = "PQL"
            var format = "pql/text"
            var value: String
        }
        struct LastEvaluation: Encodable {
            var id: Int64
            var startedAt: Date
            var finishedAt: Date?
            var realized: Int
            var existing: Int
            var exited: Int
        }
        var id: String
        var name: String
        var description: String?
        var expression: Expression
        var createdAt: Date
        var lastEvaluation: LastEvaluation?
        /// Why the latest evaluation failed; absent once one succeeds.
        var lastFailure: Failure?
        struct Failure: Encodable {
            var message: String
            var at: Date?
        }
        /// How the segment is evaluated: "sql" when the whole definition runs as one SQL
        /// condition in the store, "swift" when some part needs the reference evaluator
        /// (`swiftOnly` names those parts), so users see why a segment is slow.
        var evaluatedIn: String
        var swiftOnly: [String]?
        /// Segments this one refers to with `inSegment`, as written.
        var uses: [String]?

        init(_ segment: SegmentRecord) {
            self.init(segment, evaluation: nil)
        }

        init(_ segment: SegmentRecord, evaluation: EvaluationRecord?) {
            id = segment.id
            name = segment.name
            description = segment.description
            expression = Expression(value: segment.pql)
            createdAt = segment.createdAt
            if let expression = try? PQL.parse(segment.pql) {
                let parts = PQL.swiftOnlyParts(expression)
                evaluatedIn = parts.isEmpty ? "sql" : "swift"
                swiftOnly = parts.isEmpty ? nil : parts
                let references = PQL.segmentReferences(expression).sorted()
                uses = references.isEmpty ? nil : references
            } else {
                // Stored before the parser refused it; evaluation reports it as failed.
                evaluatedIn = "invalid"
            }
            lastFailure = segment.lastFailure.map { Failure(message: $0, at: segment.lastFailedAt) }
            lastEvaluation = evaluation.map {
                LastEvaluation(
                    id: $0.id ?? 0, startedAt: $0.startedAt, finishedAt: $0.finishedAt,
                    realized: $0.realized, existing: $0.existing, exited: $0.exited)
            }
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        try await WorkspaceOptions.translatingErrors {
            let record = try await workspace.segment(named: segment)
            let evaluation = try await workspace.latestEvaluation(segmentId: record.id)
            print(try Self.json(Output(record, evaluation: evaluation)))
        }
    }
}

import ArgumentParser
import Foundation
import Workspace

/// `ferry segments members NAME|ID`
struct SegmentsMembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List a segment's members as NAMESPACE:ID and status, one per line.")

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: ArgumentHelp("Segment name or id.", valueName: "name|id"))
    var segment: String

    @Option(help: "Only members with this status: realized or exited.")
    var status: MembershipRecord.Status?

    @Flag(help: "One JSON object per line instead of tab-separated text.")
    var json = false

    /// Members read per query; each page is its own short read.
    static let pageSize = 10_000

    func run() async throws {
        let opened = try await options.openStore()
        let workspace = opened.store
        // Output is gathered in large writes: a segment can have millions of members.
        var buffer = Data()
        buffer.reserveCapacity(1 << 16)
        let stdout = FileHandle.standardOutput
        let formatter = ISO8601DateFormatter()
        try await WorkspaceOptions.translatingErrors {
            let record = try await workspace.segment(named: segment)
            var after: Int64 = 0
            while true {
                let page = try await workspace.memberPage(
                    of: record, status: status, afterPid: after, limit: Self.pageSize)
                guard let last = page.last else { break }
                after = last.pid
                for member in page {
                    if json {
                        let object: [String: String] = [
                            "identity": member.qualifiedIdentity,
                            "namespace": member.namespace,
                            "id": member.identity,
                            "status": member.status.rawValue,
                            "lastQualificationTime": formatter.string(from: member.lastQualificationTime),
                        ]
                        buffer.append(
                            try JSONSerialization.data(
                                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                        buffer.append(0x0A)
                    } else {
                        buffer.append(contentsOf: "\(member.qualifiedIdentity)\t\(member.status.rawValue)\n".utf8)
                    }
                }
                if buffer.count >= 1 << 16 {
                    stdout.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        stdout.write(buffer)
    }
}

extension MembershipRecord.Status: ExpressibleByArgument {}

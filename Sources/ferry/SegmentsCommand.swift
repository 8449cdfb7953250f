import ArgumentParser

/// `ferry segments`: PQL segments and their members.
struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "Define segments in PQL, evaluate them and list their members.",
        subcommands: [
            SegmentsCreateCommand.self, SegmentsListCommand.self, SegmentsShowCommand.self,
            SegmentsDeleteCommand.self, SegmentsEvaluateCommand.self, SegmentsMembersCommand.self,
        ]
    )
}

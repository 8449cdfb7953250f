import ArgumentParser
import Export
import Foundation
import S3
import Scheduling
import Workspace

/// `ferry export ACTIVATION`: "export file now" for each of its segments.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export an activation's segments now, one run per segment.")

    @OptionGroup var options: WorkspaceOptions
    @Argument(help: "Activation name or id.") var activation: String
    @Option(help: "Only this segment of the activation.") var segment: String?
    @Option(help: "The scheduled time to export as (default: now); the same time rewrites the same keys.")
    var at: String?
    @Option(help: "Part size in MiB (5 to 4095).") var partSize: Int = 16
    @Option(help: "Parts uploaded at once.") var concurrency: Int = 4
    @OptionGroup var timeouts: S3TimeoutOptions

    func run() async throws {
        // Whole seconds by default, so names with seconds and the ledger agree.
        let scheduled =
            try ISO8601Parsing.option("--at", at)
            ?? Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let uploadOptions = try WorkspaceOptions.translatingErrors {
            try UploadOptions(partSizeMiB: partSize, concurrency: concurrency)
        }
        let workspace = try options.open()
        var exitCode: Int32 = 0
        try await WorkspaceOptions.translatingErrors {
            let record = try await workspace.activation(named: activation)
            var segmentIds = record.segmentIds
            if let segment {
                let wanted = try await workspace.segment(named: segment).id
                guard segmentIds.contains(wanted) else {
                    throw CLIError(
                        "ferry: segment '\(segment)' is not part of activation '\(record.name)'",
                        exitCode: ExitStatus.badInput)
                }
                segmentIds = [wanted]
            }
            let destination = try await workspace.destination(named: record.destinationId)
            var exporter = ExportRunner(workspace: workspace, uploadOptions: uploadOptions)
            exporter.timeouts = try timeouts.value()
            let runner = DueRunner(store: workspace, exporter: exporter)
            for segmentId in segmentIds {
                let outcome = await runner.runNow(activation: record, segmentId: segmentId, scheduledTime: scheduled)
                switch outcome {
                case .success(let run):
                    print(
                        "run \(run.id) success: \(run.exported) rows, \(run.excludedMandatory + run.excludedDuplicate) excluded"
                    )
                    for file in run.files {
                        print("  s3://\(destination.bucket)/\(file.key)\t\(file.rows) rows\t\(file.bytes) bytes")
                    }
                    if destination.manifest {
                        print("  manifest s3://\(destination.bucket)/\(ExportRunner.manifestKey(for: run))")
                    }
                case .failed(_, let error):
                    let (message, code) = UserMessage.runFailure(error)
                    exitCode = max(exitCode, code)
                    FileHandle.standardError.write(Data("\(message)\n".utf8))
                case .busy, .superseded:
                    exitCode = max(exitCode, 1)
                    FileHandle.standardError.write(
                        Data("ferry: another ferry process is exporting this run now; it was left to it\n".utf8))
                }
            }
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

import ArgumentParser
import Export
import FerryApp
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
    @Flag(
        help: ArgumentHelp(
            "Evaluate and encode as a run would, and print the counts, the keys with their rows and the first rows; nothing is written to S3.",
            discussion: "Needs no S3 permission and records no run."))
    var dryRun = false
    @OptionGroup var timeouts: S3TimeoutOptions

    func run() async throws {
        let scheduled = try ISO8601Parsing.option("--at", at)
        let uploadOptions = try WorkspaceOptions.translatingErrors {
            try UploadOptions(partSizeMiB: partSize, concurrency: concurrency)
        }
        var app = try await options.useCases()
        app.exporter.uploadOptions = uploadOptions
        app.exporter.timeouts = try timeouts.value()
        if dryRun {
            let reports = try await AppErrorText.translating {
                try await app.dryRun(activation, segment: segment, at: scheduled)
            }
            let name = try await AppErrorText.translating { try await app.activation(activation).name }
            for report in reports { print(Self.render(report, activation: name), terminator: "") }
            return
        }
        let outcomes = try await AppErrorText.translating {
            try await app.exportNow(activation, segment: segment, at: scheduled)
        }
        var exitCode: Int32 = 0
        for outcome in outcomes {
            switch outcome {
            case .success(let run):
                print(
                    "run \(run.id) success: \(run.exported) rows, \(run.excludedMandatory + run.excludedDuplicate) excluded"
                )
                let view = try await AppErrorText.translating { try await app.run(run.id) }
                let bucket = try await AppErrorText.translating { try await app.destination(run.destinationId).bucket }
                for file in run.files {
                    print("  s3://\(bucket)/\(file.key)\t\(file.rows) rows\t\(file.bytes) bytes")
                }
                if let manifest = view.manifestKey { print("  manifest s3://\(bucket)/\(manifest)") }
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
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    static func render(_ report: DryRunReport, activation: String) -> String {
        var out = "dry run of activation \(activation), segment \(report.segmentName): nothing was written\n"
        out +=
            "  received \(report.received), exported \(report.exported), excluded \(report.excludedMandatory + report.excludedDuplicate) (missing a mandatory field: \(report.excludedMandatory), duplicate: \(report.excludedDuplicate))\n"
        out += "  would write:\n"
        for file in report.files {
            out += "    s3://\(report.bucket)/\(file.key)\t\(file.rows) rows\t\(file.bytes) bytes\n"
        }
        if let manifest = report.manifestKey { out += "    manifest s3://\(report.bucket)/\(manifest)\n" }
        out += "  first \(min(report.exported, ExportRunner.dryRunSampleRows)) rows as encoded:\n"
        for line in report.sample { out += "    " + line + "\n" }
        return out
    }
}

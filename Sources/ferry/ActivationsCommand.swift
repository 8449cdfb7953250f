import ArgumentParser
import Export
import FerryApp
import Foundation
import Scheduling
import Workspace

/// `ferry activations ...`: which segments go where, with which columns.
struct ActivationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations", abstract: "Create, list and manage activations (segments sent to a destination).",
        subcommands: [Create.self, List.self, Show.self, Delete.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an activation: segments sent to a destination as files, with the columns you map.",
            discussion: """
                Columns, with --map SOURCE[=COLUMN] (repeatable, in file order):
                  identityMap.Email=email     first Email identity, column "email"
                  person.name.lastName        an attribute; column "lastName"
                  segmentMembership.status    realized or exited
                  segmentMembership.lastQualificationTime

                Macros, in --file-name and in the destination's folder path:
                  %SEGMENT_NAME%  %SEGMENT_ID%  %DESTINATION_NAME%  %DESTINATION_ID%
                  %DATETIME(YYYYMMdd_HHmmss)%  the run's time in --timezone
                  %TIMESTAMP%                  the run's time in Unix seconds
                A file name holds %DESTINATION_NAME% and %SEGMENT_ID%. Without a time \
                macro each run replaces the same object. Two activations that send one \
                segment to one destination need different file names.

                Modes: full sends every member at each run; incremental sends those \
                that entered (and, with a segmentMembership.status column, left) since \
                the last successful run. Frequencies: once runs at --start; the others \
                repeat from --start until --end.

                Example:
                  ferry activations create daily --destination acme \\
                    --segment "Luxury Audience" --map identityMap.Email=email \\
                    --map person.name.lastName --frequency daily \\
                    --start 2026-12-02T06:00:00Z
                """)
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The activation's name.") var name: String
        @Option(help: "Destination name or id.") var destination: String
        @Option(help: "Segment name or id (repeatable).") var segment: [String]
        @Option(
            help: ArgumentHelp(
                "A column: SOURCE[=COLUMN] (repeatable, in column order; see the examples below).",
                valueName: "source[=column]"))
        var map: [String]
        @Option(
            help: ArgumentHelp(
                "A mapped column to write as the hex SHA-256 of its trimmed, lowercased value (repeatable).",
                discussion: "For ad platforms that match hashed e-mail addresses; empty values stay empty.",
                valueName: "column"))
        var hash: [String] = []
        @Option(help: "A source every exported profile must have (repeatable).") var mandatory: [String] = []
        @Option(help: "SOURCE[,SOURCE]: one row per key value.") var dedupKey: String?
        @Option(help: "Every member each run, or the changes since the last successful run.")
        var mode: ExportMode = .full
        // Parsed here rather than through ExpressibleByArgument, whose error for
        // six values is a bulleted list, not the one line every error is.
        @Option(
            help:
                "once (the default), daily, every-3-hours, every-6-hours, every-8-hours, every-12-hours, weekly or monthly.",
            transform: { text in
                guard let frequency = ActivationFrequency(rawValue: text) else {
                    throw ValidationError(
                        "--frequency must be one of \(ActivationFrequency.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                return frequency
            })
        var frequency: ActivationFrequency = .once
        @Option(
            help: ArgumentHelp(
                "Weekly: the weekday (monday ... sunday); monthly: the day of the month, 1 to 31 (default: the start's).",
                discussion:
                    "A month without that day runs on its last day: --day 31 runs on April 30 and February 28 or 29."
            ))
        var day: String?
        @Option(
            help: ArgumentHelp(
                "schedule (the default: --frequency from --start) or after-evaluation.",
                discussion:
                    "after-evaluation starts a run each time an evaluation of the segment completes after --start, at most once per evaluation; use it without --frequency."
            ))
        var trigger: String = ActivationTrigger.schedule.rawValue
        @Option(help: "First run time, ISO-8601 (default: now).") var start: String?
        @Option(help: "End day YYYY-MM-DD (not exported itself).") var end: String?
        @Option(help: "IANA time zone for names and schedules.") var timezone: String = "UTC"
        @Option(help: "File name template with macros (listed below), without the extension.")
        var fileName: String = PathTemplate.defaultFileName
        @Option(help: "Rows per file before splitting.") var maxRowsPerFile: Int = 5_000_000

        func run() async throws {
            func bad(_ message: String) -> CLIError { CLIError("ferry: \(message)", exitCode: ExitStatus.badInput) }
            _ = try WorkspaceOptions.translatingErrors { try NameRules.checked(name, kind: "activation") }
            guard !segment.isEmpty else { throw bad("name at least one --segment") }
            guard !map.isEmpty else { throw bad("map at least one column with --map SOURCE[=COLUMN]") }
            guard maxRowsPerFile > 0 else { throw bad("--max-rows-per-file must be positive") }
            guard TimeZone(identifier: timezone) != nil else { throw bad("unknown time zone '\(timezone)'") }
            let startDate = try ISO8601Parsing.option("--start", start) ?? Date()
            if let end, ISO8601Parsing.day(end) == nil { throw bad("--end '\(end)' is not a YYYY-MM-DD day") }
            guard let runTrigger = ActivationTrigger(rawValue: trigger) else {
                throw bad("--trigger must be schedule or after-evaluation")
            }
            if runTrigger == .afterEvaluation && frequency != .once {
                throw bad("--trigger after-evaluation runs after each evaluation; drop --frequency")
            }
            let scheduleDay = try day.map { text in
                switch Schedule.day(parsing: text, for: frequency) {
                case .success(let value): return value
                case .failure(let error): throw bad(error.description)
                }
            }
            let mappings = try map.map { entry -> ColumnMapping in
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                let source = parts[0]
                _ = try WorkspaceOptions.translatingErrors { try ExportSource(parsing: source) }
                let column = parts.count > 1 ? parts[1] : ExportSource.defaultColumnName(source)
                return ColumnMapping(source: source, column: column, hashed: hash.contains(column))
            }
            for column in hash where !mappings.contains(where: { $0.column == column }) {
                throw bad("--hash '\(column)' is not a mapped column")
            }
            let dedup = dedupKey.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            guard dedup.count <= 2 else { throw bad("--dedup-key takes one or two sources") }
            for source in mandatory + dedup {
                _ = try WorkspaceOptions.translatingErrors { try ExportSource(parsing: source) }
            }
            let template = try WorkspaceOptions.translatingErrors { try PathTemplate(fileName: fileName) }
            let opened = try await options.openStore()
            let workspace = opened.store
            try await WorkspaceOptions.translatingErrors {
                let destinationRecord = try await workspace.destination(named: destination)
                var segmentIds: [String] = []
                for s in segment { segmentIds.append(try await workspace.segment(named: s).id) }
                let folder = try PathTemplate(folder: destinationRecord.folderPath)
                let settings = try DestinationSettings(destinationRecord)
                let encoder = CSVEncoder(format: settings.format)
                for mapping in mappings {
                    if let reason = encoder.unwritableReason(mapping.column) {
                        throw bad(
                            "column name '\(mapping.column)' holds \(reason), which destination '\(destinationRecord.name)' (--quote none) cannot write in its header"
                        )
                    }
                }
                for id in segmentIds {
                    let record = try await workspace.segment(named: id)
                    // Expanding once catches a file name over 255 characters now, not at 2 a.m.
                    _ = try template.expand(
                        MacroContext(
                            segmentName: record.name, segmentId: record.id, destinationName: destinationRecord.name,
                            destinationId: destinationRecord.id, scheduledTime: startDate))
                    do {
                        try FerryUseCases.checkKeyLength(
                            folder: folder, fileName: template, settings: settings,
                            manifest: destinationRecord.manifest, segment: record, destination: destinationRecord)
                    } catch let error as AppError {
                        throw AppErrorText.cliError(error)
                    }
                }
                try await warnAboutUnknownNamespaces(mappings, workspace: workspace)
                let record = ActivationRecord(
                    id: UUID().uuidString.lowercased(), name: name, destinationId: destinationRecord.id,
                    segmentIds: segmentIds, mappings: mappings, mandatory: mandatory, dedupKeys: dedup, mode: mode,
                    frequency: frequency, start: startDate, endDay: end, timeZone: timezone, fileNameTemplate: fileName,
                    maxRowsPerFile: maxRowsPerFile, enabled: true, createdAt: Date(), day: scheduleDay,
                    trigger: runTrigger)
                try await workspace.insertActivation(record)
                print(record.id)
            }
        }

        /// A namespace no profile has is most likely a typo; it still exports, with empty values.
        func warnAboutUnknownNamespaces(_ mappings: [ColumnMapping], workspace: some ProfileStore) async throws {
            for mapping in mappings {
                guard case let .identity(namespace)? = try? ExportSource(parsing: mapping.source) else { continue }
                if try await !workspace.hasIdentities(inNamespace: namespace) {
                    FileHandle.standardError.write(
                        Data(
                            "warning: no profile has identity namespace '\(namespace)'; column '\(mapping.column)' will be empty\n"
                                .utf8))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List activations.")
        @OptionGroup var options: WorkspaceOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let records = try await WorkspaceOptions.translatingErrors { try await workspace.activations() }
            if json {
                print(try SegmentsShowCommand.json(records))
            } else {
                for r in records {
                    print(
                        "\(r.name)\t\(r.id)\t\(r.mode.rawValue)\t\(r.frequency.rawValue)\t\(r.enabled ? "enabled" : "disabled")"
                    )
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an activation as JSON.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Activation name or id.") var name: String

        func run() async throws {
            let opened = try await options.openStore()
            let workspace = opened.store
            let record = try await WorkspaceOptions.translatingErrors { try await workspace.activation(named: name) }
            print(try SegmentsShowCommand.json(record))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an activation and its run history.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Activation name or id.") var name: String

        func run() async throws {
            let app = try await options.useCases()
            let record = try await AppErrorText.translating { try await app.deleteActivation(name) }
            print("deleted activation \(record.name) (\(record.id))")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop scheduled runs of an activation.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Activation name or id.") var name: String
        func run() async throws { try await setEnabled(options, name, false) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume scheduled runs of an activation.")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Activation name or id.") var name: String
        func run() async throws { try await setEnabled(options, name, true) }
    }

    static func setEnabled(_ options: WorkspaceOptions, _ name: String, _ enabled: Bool) async throws {
        let app = try await options.useCases()
        let record = try await AppErrorText.translating { try await app.setActivation(name, enabled: enabled) }
        print("\(enabled ? "enabled" : "disabled") activation \(record.name)")
    }
}

/// ISO-8601 inputs as users type them: with or without seconds or zone.
enum ISO8601Parsing {
    static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
        ] {
            f.formatOptions = options
            if let d = f.date(from: text) { return d }
        }
        // No zone given: UTC, as the reference's schedules are.
        f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        f.timeZone = TimeZone(secondsFromGMT: 0)
        return f.date(from: text) ?? day(text)
    }

    /// The time an option names, or nil when it was not given; a text that is
    /// not ISO-8601 is bad input named by its option.
    static func option(_ option: String, _ text: String?) throws -> Date? {
        guard let text else { return nil }
        guard let date = date(text) else {
            throw CLIError("ferry: \(option) '\(text)' is not an ISO-8601 time", exitCode: ExitStatus.badInput)
        }
        return date
    }

    /// `--at TIME` where a command can be told what time it is; now when absent.
    static func now(_ at: String?) throws -> Date { try option("--at", at) ?? Date() }

    static func day(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withDashSeparatorInDate]
        f.timeZone = TimeZone(secondsFromGMT: 0)
        return f.date(from: text)
    }
}

extension ExportMode: ExpressibleByArgument {}

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
        subcommands: [Create.self, Update.self, List.self, Show.self, Delete.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an activation: segments sent to a destination as files, with the columns you map.",
            discussion: """
                Columns, with --map SOURCE[=COLUMN] (repeatable, in file order):
                  identityMap.Email=email     first Email identity, column "email"
                  person.name.lastName        an attribute; column "person_name_lastName"
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
        @Option(
            help:
                "SOURCE[,SOURCE]: one row per key value; an identity namespace (identityMap.Email) gives a row per id in it."
        ) var dedupKey: String?
        @Option(help: "Every member each run, or the changes since the last successful run.")
        var mode: ExportMode = .full
        @Option(
            help:
                "once (the default), daily, every-3-hours, every-6-hours, every-8-hours, every-12-hours, weekly or monthly.",
            transform: ActivationsCommand.frequency)
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
            let runTrigger = try ActivationsCommand.trigger(trigger)
            let columns = try ActivationsCommand.columns(map, hashing: hash)
            var input = ActivationInput(name: name, destination: destination, segments: segment, columns: columns)
            input.mandatory = mandatory
            input.dedupKeys = dedupKey.map(ActivationsCommand.dedupKeys) ?? []
            input.mode = mode
            input.frequency = frequency
            input.day = day
            input.trigger = runTrigger
            input.start = try ISO8601Parsing.option("--start", start)
            input.endDay = end
            input.timeZone = timezone
            input.fileName = fileName
            input.maxRowsPerFile = maxRowsPerFile
            let app = try await options.useCases()
            let created = try await AppErrorText.translating { try await app.createActivation(input) }
            for warning in created.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            print(created.activation.id)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an activation: each option given replaces what is saved, checked as on create.",
            discussion: """
                The id, the creation time and the run history stay. --map replaces the \
                whole column list (give every column, in file order), as --segment \
                replaces the segments. A new --frequency without --day takes the \
                start's day. See `ferry activations create --help` for each option.

                Example:
                  ferry activations update daily --frequency weekly --day monday
                """)
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "Activation name or id.") var activation: String
        @Option(help: "A new name.") var name: String?
        @Option(help: "Destination name or id.") var destination: String?
        @Option(help: "Segment name or id (repeatable; replaces the segments).") var segment: [String] = []
        @Option(
            help: ArgumentHelp(
                "A column: SOURCE[=COLUMN] (repeatable; replaces the columns).", valueName: "source[=column]"))
        var map: [String] = []
        @Option(help: ArgumentHelp("A mapped column to hash (repeatable; with --map).", valueName: "column"))
        var hash: [String] = []
        @Option(help: "A source every exported profile must have (repeatable; replaces the list).")
        var mandatory: [String] = []
        @Flag(help: "Remove the mandatory sources.") var noMandatory = false
        @Option(help: "SOURCE[,SOURCE]: one row per key value.") var dedupKey: String?
        @Flag(help: "Remove the dedup key.") var noDedupKey = false
        @Option(help: "full or incremental.") var mode: ExportMode?
        @Option(
            help: "once, daily, every-3-hours, every-6-hours, every-8-hours, every-12-hours, weekly or monthly.",
            transform: ActivationsCommand.frequency)
        var frequency: ActivationFrequency?
        @Option(help: "Weekly: the weekday; monthly: the day of the month, 1 to 31.") var day: String?
        @Option(help: "schedule or after-evaluation.") var trigger: String?
        @Option(help: "First run time, ISO-8601.") var start: String?
        @Option(help: "End day YYYY-MM-DD (not exported itself).") var end: String?
        @Flag(help: "Remove the end day, so the schedule runs on.") var noEnd = false
        @Option(help: "IANA time zone for names and schedules.") var timezone: String?
        @Option(help: "File name template with macros, without the extension.") var fileName: String?
        @Option(help: "Rows per file before splitting.") var maxRowsPerFile: Int?

        func run() async throws {
            if !hash.isEmpty, map.isEmpty {
                throw CLIError(
                    "ferry: --hash needs --map: an update replaces the columns as a whole",
                    exitCode: ExitStatus.badInput)
            }
            for (given, cleared, option) in [
                (!mandatory.isEmpty, noMandatory, "mandatory"), (dedupKey != nil, noDedupKey, "dedup-key"),
                (end != nil, noEnd, "end"),
            ] where given && cleared {
                throw CLIError(
                    "ferry: --\(option) and --no-\(option) contradict each other", exitCode: ExitStatus.badInput)
            }
            var patch = ActivationPatch()
            patch.name = name
            patch.destination = destination
            patch.segments = segment.isEmpty ? nil : segment
            patch.columns = map.isEmpty ? nil : try ActivationsCommand.columns(map, hashing: hash)
            patch.mandatory = noMandatory ? [] : mandatory.isEmpty ? nil : mandatory
            patch.dedupKeys = noDedupKey ? [] : dedupKey.map(ActivationsCommand.dedupKeys)
            patch.mode = mode
            patch.frequency = frequency
            patch.day = day
            patch.trigger = try trigger.map(ActivationsCommand.trigger)
            patch.start = try ISO8601Parsing.option("--start", start)
            patch.endDay = end
            patch.clearEndDay = noEnd
            patch.timeZone = timezone
            patch.fileName = fileName
            patch.maxRowsPerFile = maxRowsPerFile
            let app = try await options.useCases()
            let updated = try await AppErrorText.translating { try await app.updateActivation(activation, patch) }
            for warning in updated.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            print("updated activation \(updated.activation.name) (\(updated.activation.id))")
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

    /// Parsed by hand rather than through ExpressibleByArgument, whose error for
    /// eight values is a bulleted list, not the one line every error is.
    static func frequency(_ text: String) throws -> ActivationFrequency {
        guard let frequency = ActivationFrequency(rawValue: text) else {
            throw ValidationError(
                "--frequency must be one of \(ActivationFrequency.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return frequency
    }

    static func trigger(_ text: String) throws -> ActivationTrigger {
        guard let trigger = ActivationTrigger(rawValue: text) else {
            throw CLIError("ferry: --trigger must be schedule or after-evaluation", exitCode: ExitStatus.badInput)
        }
        return trigger
    }

    /// `--map SOURCE[=COLUMN]` entries in file order; `--hash` names columns, so a
    /// column is hashed when its written name is listed.
    static func columns(_ map: [String], hashing hash: [String]) throws -> [ActivationInput.Column] {
        let columns = map.map { entry -> ActivationInput.Column in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let column = parts.count > 1 ? parts[1] : nil
            return ActivationInput.Column(
                source: parts[0], column: column,
                hashed: hash.contains(column ?? ExportSource.defaultColumnName(parts[0])))
        }
        for column in hash
        where !columns.contains(where: { ($0.column ?? ExportSource.defaultColumnName($0.source)) == column }) {
            throw CLIError("ferry: --hash '\(column)' is not a mapped column", exitCode: ExitStatus.badInput)
        }
        return columns
    }

    static func dedupKeys(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
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

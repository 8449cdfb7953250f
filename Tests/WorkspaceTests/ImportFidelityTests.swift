import Foundation
import Segmentation
import Testing

@testable import Workspace

/// A line is imported exactly as written or rejected with its reason; it is never repaired.
@Suite struct ImportFidelityTests {
    static let csvOptions = ImportOptions(namespace: "Email", identityField: "email")

    func doc(_ temp: TemporaryWorkspace, _ id: String, namespace: String = "Email") async throws -> String {
        try #require(try await temp.workspace.profile(namespace: namespace, identity: id)).doc
    }

    @Test func aByteOrderMarkIsStrippedFromJSONLinesAndCSV() async throws {
        let temp = try TemporaryWorkspace()
        let (jsonl, jsonlRejections) = try await temp.importText(
            "bom.jsonl", "\u{FEFF}" + #"{"identityMap":{"Email":[{"id":"j@x.io"}]},"a":1}"# + "\n")
        #expect(jsonlRejections.isEmpty)
        #expect(jsonl.inserted == 1)
        #expect(try await doc(temp, "j@x.io") == #"{"identityMap":{"Email":[{"id":"j@x.io"}]},"a":1}"#)

        let (csv, csvRejections) = try await temp.importText(
            "bom.csv", "\u{FEFF}email,tier\nc@x.io,gold\n", options: Self.csvOptions)
        #expect(csvRejections.isEmpty)
        #expect(csv.inserted == 1)
        #expect(try await doc(temp, "c@x.io").contains(#""email":"c@x.io""#))
    }

    @Test func invalidUTF8InCSVIsRejectedNotReplaced() async throws {
        let temp = try TemporaryWorkspace()
        var bytes = Array("email,name\na@x.io,Ann\nb@x.io,B".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("o\nc@x.io,\"Q\u{1}\"\n".utf8)
        let path = temp.directory.appendingPathComponent("bad.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var rejections: [ImportRejection] = []
        let summary = try await temp.workspace.importProfiles([.file(path)], options: Self.csvOptions) {
            rejections.append($0)
        }
        #expect(summary.inserted == 2)
        #expect(rejections.map(\.line) == [3])
        #expect(rejections.first?.reason == "invalid UTF-8 in column 2")
        #expect(try await temp.workspace.profile(namespace: "Email", identity: "b@x.io") == nil)
    }

    @Test func textAfterAClosingQuoteIsRejected() async throws {
        let temp = try TemporaryWorkspace()
        let (summary, rejections) = try await temp.importText(
            "q.csv", "email,name\na@x.io,\"Ann\"Lee\nb@x.io,\"Bo, Kim\"\n", options: Self.csvOptions)
        #expect(summary.inserted == 1)
        #expect(rejections.map(\.reason) == ["text after the closing quote in column 2"])
        #expect(try await doc(temp, "b@x.io").contains(#""name":"Bo, Kim""#))
    }

    @Test func duplicateKeysAreRejected() async throws {
        let temp = try TemporaryWorkspace()
        let (summary, rejections) = try await temp.importText(
            "d.jsonl",
            #"{"identityMap":{"Email":[{"id":"a@x.io"}]},"tier":"gold","tier":"silver"}"# + "\n"
                + #"{"identityMap":{"Email":[{"id":"b@x.io"}]},"p":{"x":1,"x":1}}"# + "\n"
                + #"{"identityMap":{"Email":[{"id":"c@x.io"}]},"tier":"gold"}"# + "\n")
        #expect(summary.inserted == 1)
        #expect(rejections.map(\.line) == [1, 2])
        #expect(rejections.allSatisfy { $0.reason.contains(#"duplicate key "#) })
        #expect(rejections[0].reason.contains(#""tier""#))
    }

    static let bigLine =
        #"{"identityMap":{"Email":[{"id":"n@x.io"}]},"big":12345678901234567890,"huge":1e400,"fine":1.50,"neg":-0,"exact":0.1}"#

    @Test func numbersBeyondInt64AndDoubleAreStoredAsWritten() async throws {
        let temp = try TemporaryWorkspace()
        // The identityMap path stores the line itself; --identity-field rebuilds the document.
        _ = try await temp.importText("n.jsonl", Self.bigLine + "\n")
        #expect(try await doc(temp, "n@x.io") == Self.bigLine)

        let byField = #"{"email":"f@x.io","big":12345678901234567890,"huge":1e400}"#
        _ = try await temp.importText("f.jsonl", byField + "\n", options: Self.csvOptions)
        let stored = try await doc(temp, "f@x.io")
        #expect(stored.contains(#""big":12345678901234567890"#))
        #expect(stored.contains(#""huge":1e400"#))

        // A record with a null is merged in Swift rather than by json_patch; numbers survive that too.
        _ = try await temp.importText(
            "m.jsonl", #"{"identityMap":{"Email":[{"id":"n@x.io"}]},"exact":null,"more":98765432109876543210}"# + "\n")
        let merged = try JSONValue.parse(try await doc(temp, "n@x.io"))
        #expect(merged.serialized().contains(#""big":12345678901234567890"#))
        #expect(merged.serialized().contains(#""huge":1e400"#))
        #expect(merged.serialized().contains(#""more":98765432109876543210"#))
        #expect(merged.value(atDottedPath: "fine") == .number("1.50"))
    }

    @Test func csvNumbersAreKeptAsWritten() async throws {
        let temp = try TemporaryWorkspace()
        let (_, rejections) = try await temp.importText(
            "n.csv", "email,big,huge,ratio,zip,dot\nc@x.io,12345678901234567890,1e400,2.50,007,1.\n",
            options: Self.csvOptions)
        #expect(rejections.isEmpty)
        let document = try JSONValue.parse(try await doc(temp, "c@x.io"))
        #expect(document.value(atDottedPath: "big") == .number("12345678901234567890"))
        #expect(document.value(atDottedPath: "huge") == .number("1e400"))
        #expect(document.value(atDottedPath: "ratio") == .number("2.50"))
        #expect(document.value(atDottedPath: "zip") == .string("007"))
        #expect(document.value(atDottedPath: "dot") == .string("1."))
        #expect(document.serialized().contains(#""big":12345678901234567890"#))
        #expect(document.serialized().contains(#""huge":1e400"#))
    }

    @Test(arguments: [
        ("email,tier,tier", "the header repeats the column \"tier\""),
        (
            "email,loyalty,loyalty.tier",
            "the header columns \"loyalty\" and \"loyalty.tier\" conflict: loyalty cannot be both a value and an object"
        ),
        (
            "email,a.b.c,a.b",
            "the header columns \"a.b\" and \"a.b.c\" conflict: a.b cannot be both a value and an object"
        ),
        ("email,a..b", "header column 2 \"a..b\" is not a dotted field path"),
    ])
    func aHeaderWhoseColumnsClashStopsTheImportBeforeAnyRow(header: String, reason: String) async throws {
        let temp = try TemporaryWorkspace()
        let good = try temp.file("good.csv", "email,tier\ng@x.io,gold\n")
        let bad = try temp.file("bad.csv", header + "\nb@x.io,x,y\n")
        let error = try await #require(throws: WorkspaceError.self) {
            try await temp.workspace.importProfiles([.file(good), .file(bad)], options: Self.csvOptions) { _ in }
        }
        #expect(error.code == .badHeader)
        #expect(error.message == "\(bad):1: \(reason); no row of this file was imported.")
        // The good file given first is not imported either: headers are read before any row is written.
        #expect(try await temp.workspace.profileCount() == 0)
    }
}

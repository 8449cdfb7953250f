import Foundation
import Segmentation
import Testing

@testable import Workspace

@Suite struct ProfileImportTests {
    static let ann =
        #"{"identityMap":{"Email":[{"id":"a@example.com","primary":true}],"CRMID":[{"id":"C-1"}]},"person":{"name":{"firstName":"Ann","lastName":"Lee"},"birthYear":1985},"loyalty":{"points":1200,"tier":"gold"}}"#

    @Test func importsJSONLinesAndShowsTheProfile() async throws {
        let temp = try TemporaryWorkspace()
        let (summary, rejections) = try await temp.importText(
            "p.jsonl", Self.ann + "\n" + #"{"identityMap":{"Email":[{"id":"b@example.com"}]},"x":1}"# + "\n")
        #expect(summary == ImportSummary(inserted: 2, updated: 0, rejected: 0))
        #expect(rejections.isEmpty)
        #expect(try await temp.workspace.profileCount() == 2)
        let profile = try #require(try await temp.workspace.profile(namespace: "Email", identity: "a@example.com"))
        #expect(try JSONValue.parse(profile.doc) == JSONValue.parse(Self.ann))
    }

    @Test func primaryIdentityIsTheFlaggedOneElseTheFirstNamespaceByName() {
        let flagged = try! JSONValue.parse(#"{"identityMap":{"A":[{"id":"1"}],"Email":[{"id":"e","primary":true}]}}"#)
        #expect(PrimaryIdentity.fromIdentityMap(flagged)! == ("Email", "e"))
        let unflagged = try! JSONValue.parse(
            #"{"identityMap":{"Phone":[{"id":"p"}],"CRMID":[{"id":"c1"},{"id":"c2"}]}}"#)
        #expect(PrimaryIdentity.fromIdentityMap(unflagged)! == ("CRMID", "c1"))
        let numeric = try! JSONValue.parse(#"{"identityMap":{"CRMID":[{"id":42}]}}"#)
        #expect(PrimaryIdentity.fromIdentityMap(numeric)! == ("CRMID", "42"))
        #expect(PrimaryIdentity.fromIdentityMap(try! JSONValue.parse(#"{"identityMap":{"Email":[]}}"#)) == nil)
    }

    @Test func sameIdentityMergesDeeplyNewerWinning() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText("a.jsonl", Self.ann + "\n")
        let before = try #require(try await temp.workspace.profile(namespace: "Email", identity: "a@example.com"))
        try await Task.sleep(for: .milliseconds(20))
        let update =
            #"{"identityMap":{"Email":[{"id":"a@example.com","primary":true}]},"person":{"name":{"lastName":"Park"}},"loyalty":{"points":1500},"mobilePhone":{"number":"+82"}}"#
        let (summary, _) = try await temp.importText("b.jsonl", update + "\n")
        #expect(summary == ImportSummary(inserted: 0, updated: 1, rejected: 0))
        let after = try #require(try await temp.workspace.profile(namespace: "Email", identity: "a@example.com"))
        let doc = try JSONValue.parse(after.doc)
        #expect(doc.value(atDottedPath: "person.name.firstName") == .string("Ann"))
        #expect(doc.value(atDottedPath: "person.name.lastName") == .string("Park"))
        #expect(doc.value(atDottedPath: "person.birthYear") == .int(1985))
        #expect(doc.value(atDottedPath: "loyalty.points") == .int(1500))
        #expect(doc.value(atDottedPath: "loyalty.tier") == .string("gold"))
        #expect(doc.value(atDottedPath: "mobilePhone.number") == .string("+82"))
        #expect(after.updatedAt > before.updatedAt)
        #expect(after.pid == before.pid)
    }

    @Test func aNewerNullReplacesTheOlderValue() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText("a.jsonl", #"{"identityMap":{"Email":[{"id":"n"}]},"a":{"b":1,"c":2},"d":[1,2]}"#)
        let (summary, _) = try await temp.importText(
            "b.jsonl", #"{"identityMap":{"Email":[{"id":"n"}]},"a":{"b":null},"d":[3]}"#)
        #expect(summary.updated == 1)
        let doc = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "n")).doc)
        #expect(doc.value(atDottedPath: "a") == .object(["b": .null, "c": .int(2)]))
        // Arrays are values, not merged element by element.
        #expect(doc.value(atDottedPath: "d") == .array([.int(3)]))
    }

    @Test func storedDocumentsAreCompact() async throws {
        let temp = try TemporaryWorkspace()
        _ = try await temp.importText(
            "s.jsonl", #"{ "identityMap" : { "Email" : [ { "id" : "s" } ] } ,  "x" : [ 1 , 2 ] }"#)
        let profile = try #require(try await temp.workspace.profile(namespace: "Email", identity: "s"))
        #expect(profile.doc == #"{"identityMap":{"Email":[{"id":"s"}]},"x":[1,2]}"#)
    }

    @Test func duplicatesInsideOneFileMergeInOrder() async throws {
        let temp = try TemporaryWorkspace()
        let lines = [
            #"{"identityMap":{"Email":[{"id":"d"}]},"n":1,"keep":true}"#,
            #"{"identityMap":{"Email":[{"id":"d"}]},"n":2}"#,
        ]
        let (summary, _) = try await temp.importText("d.jsonl", lines.joined(separator: "\n"))
        #expect(summary == ImportSummary(inserted: 1, updated: 1, rejected: 0))
        let doc = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "d")).doc)
        #expect(doc.value(atDottedPath: "n") == .int(2))
        #expect(doc.value(atDottedPath: "keep") == .bool(true))
    }

    @Test func badLinesAreRejectedWithFileLineAndReasonAndTheRestImports() async throws {
        let temp = try TemporaryWorkspace()
        let lines = [
            Self.ann,  // 1
            #"{"identityMap":{"Email":[{"id":"x"}]"#,  // 2 broken JSON
            "",  // 3 blank, skipped silently
            #"{"person":{"name":"no identity"}}"#,  // 4 no identity
            "[1, 2]",  // 5 not an object
            #"{"identityMap":{"Email":[{"id":"ok"}]}}"#,  // 6
        ]
        let (summary, rejections) = try await temp.importText("bad.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(summary == ImportSummary(inserted: 2, updated: 0, rejected: 3))
        #expect(rejections.map(\.line) == [2, 4, 5])
        #expect(rejections.allSatisfy { $0.file.hasSuffix("bad.jsonl") })
        #expect(rejections[0].reason.hasPrefix("broken JSON"))
        #expect(rejections[1].reason.hasPrefix("no identity"))
        #expect(rejections[2].reason == "not a JSON object")
        #expect(rejections[0].description.hasSuffix("bad.jsonl:2: \(rejections[0].reason)"))
    }

    @Test func windowsLineEndsAndAMissingFinalNewlineAreFine() async throws {
        let temp = try TemporaryWorkspace()
        let text = #"{"identityMap":{"Email":[{"id":"w1"}]}}"# + "\r\n" + #"{"identityMap":{"Email":[{"id":"w2"}]}}"#
        let (summary, _) = try await temp.importText("w.jsonl", text)
        #expect(summary.inserted == 2)
    }

    @Test func csvValuesAreTypedAndEmptyMeansAbsent() async throws {
        let temp = try TemporaryWorkspace()
        let csv = #"""
            email,person.name.lastName,loyalty.points,score,vip,zip,note,person.name.firstName
            a@x.com,Lee,1200,4.5,true,02134,"Seoul, ""KR""",
            b@x.com,Kim,-7,1e3,false,0,plain,Bo

            """#
        let options = ImportOptions(namespace: "Email", identityField: "email")
        let (summary, rejections) = try await temp.importText("p.csv", csv, options: options)
        #expect(rejections.isEmpty)
        #expect(summary.inserted == 2)
        let a = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "a@x.com")).doc)
        #expect(a.value(atDottedPath: "person.name.lastName") == .string("Lee"))
        #expect(a.value(atDottedPath: "person.name.firstName") == nil)
        #expect(a.value(atDottedPath: "loyalty.points") == .int(1200))
        #expect(a.value(atDottedPath: "score") == .double(4.5))
        #expect(a.value(atDottedPath: "vip") == .bool(true))
        #expect(a.value(atDottedPath: "zip") == .string("02134"))
        #expect(a.value(atDottedPath: "note") == .string(#"Seoul, "KR""#))
        // CSV rows get an identityMap so exports map identities the same way for both formats.
        #expect(
            a.value(atDottedPath: "identityMap")
                == .object(["Email": .array([.object(["id": .string("a@x.com"), "primary": .bool(true)])])]))
        let b = try JSONValue.parse(
            try #require(try await temp.workspace.profile(namespace: "Email", identity: "b@x.com")).doc)
        #expect(b.value(atDottedPath: "loyalty.points") == .int(-7))
        // A number is kept as written: 1e3, not 1000.0.
        #expect(b.value(atDottedPath: "score") == .number("1e3"))
        #expect(b.value(atDottedPath: "vip") == .bool(false))
        #expect(b.value(atDottedPath: "zip") == .int(0))
    }

    @Test(arguments: [
        ("1", JSONValue.int(1)), ("-12", .int(-12)), ("0.5", .double(0.5)), ("007", .string("007")),
        ("1.2.3", .string("1.2.3")), ("+82-10", .string("+82-10")), ("TRUE", .string("TRUE")),
        ("nan", .string("nan")), ("99999999999999999999", .number("99999999999999999999")), ("-", .string("-")),
    ])
    func csvTyping(text: String, expected: JSONValue) {
        #expect(CSVRecordDecoder.typed(text) == expected)
    }

    @Test func csvWrongColumnCountAndMissingIdentityAreRejected() async throws {
        let temp = try TemporaryWorkspace()
        let csv = """
            id,a,b
            1,x,y
            2,x
            ,x,y
            3,x,y,z
            4,"open,y
            5,x,y
            """
        let (summary, rejections) = try await temp.importText(
            "c.csv", csv, options: ImportOptions(namespace: "CRMID", identityField: "id"))
        #expect(summary == ImportSummary(inserted: 2, updated: 0, rejected: 4))
        #expect(rejections.map(\.line) == [3, 4, 5, 6])
        #expect(rejections[0].reason == "expected 3 columns, found 2")
        #expect(rejections[1].reason.hasPrefix("no identity"))
        #expect(rejections[2].reason == "expected 3 columns, found 4")
        #expect(rejections[3].reason == "unterminated quoted field")
        // An integer identity is stored as its digits.
        #expect(try await temp.workspace.profile(namespace: "CRMID", identity: "5") != nil)
    }

    @Test func csvWithoutIdentityOptionsIsRefusedBeforeAnythingIsWritten() async throws {
        let temp = try TemporaryWorkspace()
        let json = try temp.file("ok.jsonl", Self.ann + "\n")
        let csv = try temp.file("p.csv", "id\n1\n")
        await #expect(throws: WorkspaceError.self) {
            try await temp.workspace.importProfiles([.file(json), .file(csv)], options: ImportOptions()) { _ in }
        }
        #expect(try await temp.workspace.profileCount() == 0)
        await #expect(throws: WorkspaceError.self) {
            try await temp.workspace.importProfiles([.file(temp.file("p.txt", ""))], options: ImportOptions()) { _ in }
        }
    }

    @Test func maxErrorsStopsTheImportAndKeepsWhatCameBefore() async throws {
        let temp = try TemporaryWorkspace()
        var lines: [String] = []
        for i in 0..<10 {
            lines.append(#"{"identityMap":{"Email":[{"id":"u\#(i)"}]}}"#)
            lines.append("broken \(i)")
        }
        let (summary, rejections) = try await temp.importText(
            "m.jsonl", lines.joined(separator: "\n"), options: ImportOptions(maxErrors: 2, batchSize: 2))
        #expect(summary.stoppedEarly)
        #expect(summary.rejected == 3)
        #expect(rejections.map(\.line) == [2, 4, 6])
        #expect(summary.inserted == 3)
        #expect(try await temp.workspace.profileCount() == 3)
    }

    @Test func aFailureMidImportKeepsTheBatchesCommittedBeforeIt() async throws {
        let temp = try TemporaryWorkspace()
        let lines = (0..<5).map { #"{"identityMap":{"Email":[{"id":"k\#($0)"}]}}"# }
        let good = try temp.file("good.jsonl", lines.joined(separator: "\n"))
        // A folder opens but cannot be read: the import fails after the first file.
        let unreadable = temp.directory.appendingPathComponent("broken.jsonl")
        try FileManager.default.createDirectory(at: unreadable, withIntermediateDirectories: true)
        await #expect(throws: WorkspaceError.self) {
            try await temp.workspace.importProfiles(
                [.file(good), .file(unreadable.path)], options: ImportOptions(batchSize: 2)
            ) { _ in }
        }
        // Two full batches were committed; the half batch in memory was not.
        #expect(try await temp.workspace.profileCount() == 4)
        #expect(try await temp.workspace.profile(namespace: "Email", identity: "k3") != nil)
    }

    @Test func qualifiedIdentityParsing() throws {
        #expect(try Workspace.parseQualifiedIdentity("Email:a:b@x") == ("Email", "a:b@x"))
        #expect(throws: WorkspaceError.self) { try Workspace.parseQualifiedIdentity("nocolon") }
        #expect(throws: WorkspaceError.self) { try Workspace.parseQualifiedIdentity(":x") }
    }
}

@Suite struct CompactionTests {
    @Test(arguments: [
        (#"{"a":"x y","b":[1,2]}"#, false),
        (#"{"a": 1}"#, true),
        (#"{"a":"q\"  "}"#, false),
        (#"{"a":"\\"}  "#, true),
        ("{\"a\":1}\t", true),
    ])
    func whitespaceOutsideStringsIsFound(json: String, expected: Bool) {
        var text = json
        let found = text.withUTF8 { ProfileLineParser.hasWhitespaceBetweenTokens(UnsafeRawBufferPointer($0)) }
        #expect(found == expected)
    }
}

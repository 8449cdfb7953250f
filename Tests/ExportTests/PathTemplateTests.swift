import Foundation
import Testing

@testable import Export

struct PathTemplateTests {
    static let segmentId = "25768be6-ebd5-45cc-8913-12fb3f348615"
    /// 2020-04-08T06:18:04Z, the reference's first example file.
    static let scheduled = Date(timeIntervalSince1970: 1_586_326_684)

    static func context(
        segmentName: String = "Luxury Audience", segmentId: String = segmentId,
        destinationName: String = "Salesforce_Marketing_Cloud", destinationId: String = "dest-1",
        time: Date = scheduled, timeZone: TimeZone = TimeZone(identifier: "UTC")!
    ) -> MacroContext {
        MacroContext(
            segmentName: segmentName, segmentId: segmentId, destinationName: destinationName,
            destinationId: destinationId, scheduledTime: time, timeZone: timeZone)
    }

    @Test(arguments: [
        ("acme/campaigns/2021/%SEGMENT_NAME%", "acme/campaigns/2021/Luxury Audience"),
        ("acme/campaigns/2021/%SEGMENT_ID%", "acme/campaigns/2021/25768be6-ebd5-45cc-8913-12fb3f348615"),
        (
            "acme/campaigns/2021/%SEGMENT_NAME%/%SEGMENT_ID%",
            "acme/campaigns/2021/Luxury Audience/25768be6-ebd5-45cc-8913-12fb3f348615"
        ),
    ])
    func specFolderExamples(_ template: String, _ expected: String) throws {
        #expect(try PathTemplate(folder: template).expand(Self.context()) == expected)
    }

    @Test(arguments: [
        ("", ""),
        ("/", ""),
        ("/exports/", "exports"),
        ("exports", "exports"),
        ("%DESTINATION_NAME%/%DESTINATION_ID%", "Salesforce_Marketing_Cloud/dest-1"),
        ("raw/%DATETIME(YYYY/MM/dd)%/%SEGMENT_ID%", "raw/2020/04/08/25768be6-ebd5-45cc-8913-12fb3f348615"),
        ("seg=%SEGMENT_NAME%/ts=%TIMESTAMP%", "seg=Luxury Audience/ts=1586326684"),
        ("a %DATETIME% b", "a 20200408_061804 b"),
        ("...hidden/x..y/.env", "...hidden/x..y/.env"),
    ])
    func folderForms(_ template: String, _ expected: String) throws {
        #expect(try PathTemplate(folder: template).expand(Self.context()) == expected)
    }

    @Test func specFileNameExamples() throws {
        let template = try PathTemplate(fileName: "%DESTINATION_NAME%_segment%SEGMENT_ID%_%DATETIME(YYYYMMddHHmmss)%")
        let first = Self.context(segmentId: "12341e18-abcd-49c2-836d-123c88e76c39")
        #expect(
            try template.expand(first)
                == "Salesforce_Marketing_Cloud_segment12341e18-abcd-49c2-836d-123c88e76c39_20200408061804")
        var second = first
        second.scheduledTime = Date(timeIntervalSince1970: 1_586_409_720)
        #expect(
            try template.expand(second)
                == "Salesforce_Marketing_Cloud_segment12341e18-abcd-49c2-836d-123c88e76c39_20200409052200")
    }

    @Test func defaultFileName() throws {
        let template = try PathTemplate(fileName: PathTemplate.defaultFileName)
        #expect(try template.expand(Self.context(destinationName: "s3")) == "s3_\(Self.segmentId)_20200408_061804")
        #expect(template.hasTimePart)
        #expect(try !PathTemplate(fileName: "%DESTINATION_NAME%-%SEGMENT_ID%").hasTimePart)
    }

    @Test(arguments: [
        ("YYYYMMdd_HHmmss", "20200408_061804"),
        ("YYYY-MM-dd", "2020-04-08"),
        ("YY", "20"),
        ("yyyy.MM.dd HH:mm:ss", "2020.04.08 06:18:04"),
        ("YYYY-MM-dd'T'HH-mm-ss.SSS", "2020-04-08T06-18-04.250"),
        ("'year'YYYY", "year2020"),
        ("HH'h''s'", "06h's"),
        ("HH''mm", "06'18"),
        ("dd/MM", "08/04"),
    ])
    func dateTimePatterns(_ pattern: String, _ expected: String) throws {
        let template = try PathTemplate(folder: "%DATETIME(\(pattern))%")
        let time = Self.scheduled.addingTimeInterval(0.25)
        #expect(try template.expand(Self.context(time: time)) == expected)
    }

    @Test func timeZoneShiftsTheDate() throws {
        // 2023-08-18T20:30:00Z is already the 19th in Seoul (UTC+9) and still the 18th in Los Angeles.
        let time = Date(timeIntervalSince1970: 1_692_390_600)
        let template = try PathTemplate(fileName: "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmm)%")
        let context = Self.context(segmentId: "s", destinationName: "d", time: time)
        #expect(try template.expand(context) == "d_s_20230818_2030")
        var seoul = context
        seoul.timeZone = TimeZone(identifier: "Asia/Seoul")!
        #expect(try template.expand(seoul) == "d_s_20230819_0530")
        var losAngeles = context
        losAngeles.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        #expect(try template.expand(losAngeles) == "d_s_20230818_1330")
    }

    @Test func timestampIsTimeZoneFreeTenDigitSeconds() throws {
        let template = try PathTemplate(fileName: "%DESTINATION_NAME%_%SEGMENT_ID%_%TIMESTAMP%")
        var context = Self.context(
            segmentId: "s", destinationName: "d", time: Date(timeIntervalSince1970: 1_692_390_600.9))
        #expect(try template.expand(context) == "d_s_1692390600")
        context.timeZone = TimeZone(identifier: "Asia/Seoul")!
        #expect(try template.expand(context) == "d_s_1692390600")
        context.scheduledTime = Date(timeIntervalSince1970: 86_400)
        #expect(try template.expand(context) == "d_s_0000086400")
    }

    @Test(arguments: [
        ("../../etc", ".._.._etc"),
        ("a/b", "a_b"),
        (#"a\b"#, "a_b"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        ("tab\there\nnew\u{7F}del\u{85}c1\u{2028}ls", "tabherenewdelc1ls"),
        ("\n\t", "_"),
        ("Luxury Audience", "Luxury Audience"),
        (" spaced ", " spaced "),
        ("ünïcødé 東京", "ünïcødé 東京"),
        ("...", "..."),
        ("%SEGMENT_ID%", "%SEGMENT_ID%"),
    ])
    func sanitisedValues(_ name: String, _ expected: String) throws {
        let folder = try PathTemplate(folder: "root/%SEGMENT_NAME%/files")
        let expanded = try folder.expand(Self.context(segmentName: name))
        #expect(expanded == "root/\(expected)/files")
        let segments = expanded.split(separator: "/", omittingEmptySubsequences: false)
        #expect(segments.count == 3)
        #expect(!segments.contains { $0 == ".." || $0 == "." || $0.isEmpty })
    }

    @Test func sanitisedFileNameValues() throws {
        let template = try PathTemplate(fileName: PathTemplate.defaultFileName)
        let context = Self.context(segmentId: "../x", destinationName: "a/b\nc", time: Date(timeIntervalSince1970: 0))
        #expect(try template.expand(context) == "a_bc_.._x_19700101_000000")
    }

    @Test(arguments: [
        ("acme/%FOO%", "unknown macro %FOO% in the folder path"),
        ("acme/%segment_name%", "unknown macro %segment_name% in the folder path"),
        ("50%off", "unterminated % in the folder path"),
        ("a/%DATETIME(YYYY", "unterminated %DATETIME(...)% macro in the folder path"),
        ("%DATETIME()%", "the %DATETIME()% pattern is empty"),
        ("%DATETIME(YYYYMMDD)%", "unsupported \"DD\" in the %DATETIME(YYYYMMDD)% pattern"),
        ("%DATETIME('T)%", "unterminated ' quote"),
        ("acme/../secrets", "has a \"..\" segment"),
        ("../acme", "has a \"..\" segment"),
        ("acme/..", "has a \"..\" segment"),
        ("acme/./x", "has a \".\" segment"),
        ("acme//x", "has an empty segment"),
        ("//acme", "has an empty segment"),
        (#"acme\x"#, "contains a backslash"),
        ("acme/\u{1}x", "contains a control character (U+1)"),
        ("acme/%DATETIME(YYYY/../MM)%", "has a \"..\" segment"),
    ])
    func badFolders(_ text: String, _ expectedMessage: String) {
        #expect {
            _ = try PathTemplate(folder: text)
        } throws: { error in
            guard let error = error as? TemplateError else { return false }
            return error.message.contains(expectedMessage) && error.description == error.message
        }
    }

    @Test(arguments: [
        ("%SEGMENT_ID%_%DATETIME(YYYY)%", "must contain %DESTINATION_NAME%"),
        ("%DESTINATION_NAME%", "must contain %SEGMENT_ID%"),
        ("%DESTINATION_NAME%/%SEGMENT_ID%", "contains /"),
        ("%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYY/MM)%", "contains /"),
        ("%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYY)%_%TIMESTAMP%", "uses both %DATETIME()% and %TIMESTAMP%"),
        ("%DESTINATION_NAME%_%SEGMENT_ID%_%BAR%", "unknown macro %BAR% in the file name"),
        ("", "the file name is empty"),
    ])
    func badFileNames(_ text: String, _ expectedMessage: String) {
        #expect {
            _ = try PathTemplate(fileName: text)
        } throws: { error in
            (error as? TemplateError)?.message.contains(expectedMessage) == true
        }
    }

    @Test func fileNameLengthLimit() throws {
        let longLiteral = String(repeating: "x", count: 252)
        // Already too long with one-character values: refused when the template is created.
        #expect(throws: TemplateError.self) {
            try PathTemplate(fileName: "%DESTINATION_NAME%_%SEGMENT_ID%_\(longLiteral)")
        }
        // Fits with short values, too long once a long segment id is substituted: refused at expansion.
        let template = try PathTemplate(
            fileName: "%DESTINATION_NAME%_%SEGMENT_ID%_\(String(repeating: "y", count: 200))")
        #expect(try template.expand(Self.context(segmentId: "s", destinationName: "d")).count == 204)
        let exactly255 = String(repeating: "i", count: 255 - 203)
        #expect(try template.expand(Self.context(segmentId: exactly255, destinationName: "d")).count == 255)
        #expect {
            _ = try template.expand(Self.context(segmentId: exactly255 + "i", destinationName: "d"))
        } throws: { error in
            (error as? TemplateError)?.message.contains("is 256 characters long; the limit is 255") == true
        }
    }

    @Test func foldersDoNotHaveTheFileNameRules() throws {
        // No mandatory macros, both time macros allowed, and no length limit on the whole path.
        let folder = try PathTemplate(folder: "%DATETIME(YYYY)%/%TIMESTAMP%/" + String(repeating: "f", count: 300))
        #expect(try folder.expand(Self.context()).hasPrefix("2020/1586326684/fff"))
    }

    @Test(arguments: [(1, "name"), (0, "name"), (2, "name_2"), (3, "name_3"), (12, "name_12")])
    func splitNames(_ index: Int, _ expected: String) {
        #expect(PathTemplate.splitName(base: "name", index: index) == expected)
    }

    @Test func equalityFollowsTheText() throws {
        #expect(try PathTemplate(folder: "/a/%SEGMENT_ID%/") == PathTemplate(folder: "a/%SEGMENT_ID%"))
        #expect(try PathTemplate(folder: "a/%SEGMENT_ID%").text == "a/%SEGMENT_ID%")
        #expect(try PathTemplate(folder: "a") != PathTemplate(folder: "b"))
    }
}

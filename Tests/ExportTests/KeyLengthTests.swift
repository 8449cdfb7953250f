import Foundation
import Testing

@testable import Export

/// The longest key an activation can write is known when it is created.
@Suite struct KeyLengthTests {
    @Test func longestExpansionCountsEveryMacroAtItsWidest() throws {
        let names = (segmentName: "Luxury é", segmentId: "25768be6-ebd5-45cc-8913-12fb3f348615", destination: "acme")
        func longest(_ template: PathTemplate) -> Int {
            template.longestExpansionBytes(
                segmentName: names.segmentName, segmentId: names.segmentId, destinationName: names.destination,
                destinationId: "id")
        }
        // "Luxury é" is 9 bytes in UTF-8; the date pattern is always 15 characters.
        #expect(longest(try PathTemplate(folder: "a/%SEGMENT_NAME%")) == 2 + 9)
        #expect(longest(try PathTemplate(fileName: PathTemplate.defaultFileName)) == 4 + 1 + 36 + 1 + 15)
        #expect(longest(try PathTemplate(fileName: "%DESTINATION_NAME%%SEGMENT_ID%%TIMESTAMP%")) == 4 + 36 + 11)
        #expect(
            longest(try PathTemplate(folder: "x/%DESTINATION_ID%/%DATETIME(YYYY-MM-dd'T'HH.SSS)%")) == 2 + 2 + 1 + 17)
        // A slash in a name is sanitised to one byte, as expansion does.
        let sanitized = try PathTemplate(folder: "%SEGMENT_NAME%").longestExpansionBytes(
            segmentName: "a/b", segmentId: "", destinationName: "", destinationId: "")
        #expect(sanitized == 3)
    }
}

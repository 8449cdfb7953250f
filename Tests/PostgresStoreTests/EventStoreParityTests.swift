import Foundation
import Segmentation
import Testing
import Workspace

/// ExperienceEvent segments on both backends: random events and random event
/// definitions, evaluated by each store in its SQL dialect (or its Swift
/// fallback), against the reference evaluator on the same data.
@Suite struct EventStoreParityTests {
    static let now = Date(timeIntervalSince1970: 1_781_524_800)
    static let types = ["addToCart", "commerce.purchases", "homePageView", "web.click"]

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func type() -> String { types[next(types.count)] }
        /// The eventType member of an event, absent for one event in eight.
        mutating func typeMember() -> String { next(8) == 0 ? "" : #","eventType":"\#(type())""# }
    }

    struct Data {
        var profiles: [(id: String, document: String)] = []
        /// Per event: (profile id, offset in seconds from now, JSON line).
        var events: [(owner: String, offset: Double, line: String)] = []
    }

    static func data(seed: UInt64) -> Data {
        var random = Generator(state: seed)
        var data = Data()
        for index in 0..<40 {
            let id = "p\(index)"
            let gender = ["female", "male"][random.next(2)]
            let country = ["US", "CA"][random.next(2)]
            data.profiles.append(
                (
                    id,
                    #"{"identityMap":{"email":[{"id":"\#(id)","primary":true}]},"person":{"gender":"\#(gender)"},"homeAddress":{"countryCode":"\#(country)"}}"#
                ))
            for number in 0..<random.next(9) {
                let offset = -Double(random.next(40 * 24)) * 3600 - Double(random.next(3600))
                let time = ISO8601DateFormatter().string(from: now.addingTimeInterval(offset))
                var extra = ""
                if random.next(3) > 0 {
                    extra =
                        #","commerce":{"order":{"priceTotal":\#(random.next(200)),"currencyCode":"\#(["USD", "EUR"][random.next(2)])"}}"#
                }
                data.events.append(
                    (
                        id, offset,
                        #"{"_id":"\#(id)-\#(number)","timestamp":"\#(time)"\#(random.typeMember()),"identityMap":{"email":[{"id":"\#(id)"}]}\#(extra)}"#
                    ))
            }
        }
        return data
    }

    static func definitions(seed: UInt64) -> [String] {
        var r = Generator(state: seed &+ 99)
        var result: [String] = []
        for _ in 0..<2 {
            let (t1, t2, n, k, v) = (r.type(), r.type(), 1 + r.next(20), 1 + r.next(3), r.next(200))
            result += [
                #"xEvent[eventType = "\#(t1)"]"#,
                #"xEvent[eventType = "\#(t1)" and timestamp occurs < \#(n) days before now].count() >= \#(k)"#,
                #"chain(xEvent, timestamp, [A: WHAT(eventType = "\#(t1)"), B: WHAT(eventType = "\#(t2)") WHEN(<= \#(n) days after A)])"#,
                #"xEvent[eventType = "\#(t1)"] and not xEvent[eventType = "\#(t2)"]"#,
                #"person.gender = "female" and xEvent[eventType = "\#(t1)"].sum(commerce.order.priceTotal) > \#(v)"#,
                #"exists E from xEvent where E.commerce.order.currencyCode = "USD" and E.commerce.order.priceTotal > \#(v)"#,
                #"forall E from xEvent where E.eventType != "\#(t1)""#,
                #"xEvent[eventType = "\#(t1)"].max(commerce.order.priceTotal) < \#(v)"#,
                #"xEvent[timestamp occurs this month].count() = \#(k)"#,
                #"xEvent[eventType = "\#(t1)" and ^.homeAddress.countryCode = "US"]"#,
                #"xEvent[eventType = "\#(t1)"].average(commerce.order.priceTotal) >= \#(v)"#,
                #"chain(xEvent, timestamp, [A: WHAT(eventType = "\#(t1)") WHEN(< \#(n) days before now) COUNT(\#(k))])"#,
                #"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.eventType = "\#(t1)") in (S > \#(v))"#,
                // eventType tested on its column: absent types, lists, bindings, negations.
                #"not xEvent[eventType in ["\#(t1)", "\#(t2)"]]"#,
                #"exists E from xEvent where E.eventType = "\#(t1)" and E.commerce.order.priceTotal > \#(v)"#,
                #"(select X from xEvent where "\#(t2)" = X.eventType).count() >= \#(k)"#,
                #"forall E from xEvent where E.eventType = "\#(t1)" or E.eventType = "\#(t2)""#,
                #"xEvent[not (eventType = "\#(t1)")]"#,
                // Aggregates compared with a number, as grouped sets: some where none passes.
                #"xEvent[eventType = "\#(t1)"].sum(commerce.order.priceTotal) <= \#(v)"#,
                #"xEvent[eventType = "\#(t2)"].count() != \#(k)"#,
                #"xEvent.min(commerce.order.priceTotal) > \#(v).5"#,
                #"xEvent[eventType = "\#(t2)"].average(commerce.order.priceTotal) != \#(v)"#,
            ]
        }
        return result
    }

    /// The reference evaluator on the generated documents, with retention applied.
    static func expected(_ pql: String, _ data: Data) throws -> Set<String> {
        let expression = try PQL.parse(pql)
        var members: Set<String> = []
        for (id, document) in data.profiles {
            let events = try data.events.filter { $0.owner == id && $0.offset >= -30 * 86_400 }
                .sorted { $0.offset < $1.offset }.map { try JSONValue.parse($0.line) }
            if PQL.evaluate(expression, on: try JSONValue.parse(document), events: events, now: now) {
                members.insert(id)
            }
        }
        return members
    }

    @Test(arguments: StoreUnderTest.Backend.allCases, [UInt64(1), 2])
    func eventSegmentsAgreeWithTheReferenceEvaluator(backend: StoreUnderTest.Backend, seed: UInt64) async throws {
        let underTest = try await StoreUnderTest.make(backend)
        defer { Task { await underTest.cleanUp() } }
        let store = underTest.store
        let events = try #require(store as? any EventStore)
        let data = Self.data(seed: seed)
        _ = try await underTest.importLines(data.profiles.map(\.document))
        let file = underTest.folder.appendingPathComponent("events.jsonl")
        try data.events.map(\.line).joined(separator: "\n").write(to: file, atomically: false, encoding: .utf8)
        let summary = try await events.importEvents([.file(file.path)], maxErrors: 0) { _ in }
        #expect(summary.inserted == data.events.count && summary.rejected == 0)
        let again = try await events.importEvents([.file(file.path)], maxErrors: 0) { _ in }
        #expect(again.inserted == 0 && again.duplicates == data.events.count, "importing again changes nothing")

        let definitions = Self.definitions(seed: seed)
        for (index, pql) in definitions.enumerated() {
            _ = try await store.createSegment(name: "s\(index)", pql: pql, description: nil, id: nil, now: Self.now)
        }
        let summaries = try await store.evaluate(segmentIds: [], now: Self.now)
        #expect(summaries.allSatisfy { $0.failure == nil }, "\(summaries.compactMap(\.failure))")
        for (index, pql) in definitions.enumerated() {
            let segment = try await store.segment(named: "s\(index)")
            let page = try await store.memberPage(of: segment, status: .realized, afterPid: 0, limit: 1000)
            #expect(Set(page.map(\.identity)) == (try Self.expected(pql, data)), "\(backend) seed \(seed): \(pql)")
        }
        let inSQL = summaries.filter(\.usedSQL).count
        #expect(inSQL == definitions.count, "every generated form has SQL")
        #expect(try await events.eventCount() == data.events.filter { $0.offset >= -30 * 86_400 }.count)
    }
}

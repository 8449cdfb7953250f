import Foundation
import Segmentation

/// One ExperienceEvent read from an input line, ready for either store; its
/// fields are fixed, as `lead` and `profileKey` are made from them.
public struct ImportedEvent: Sendable, Equatable {
    /// `_id`: an event already stored under it is left as it is.
    public let id: String
    /// `timestamp` in seconds since 1970 (UTC).
    public let seconds: Double
    public let eventType: String?
    /// Its identities, the primary one first: the event joins the profile holding any of them.
    public let identities: [EventIdentity]
    /// The whole event as JSON text, as read.
    public let document: String
    /// Its values at the paths typed columns may hold, for the SQLite import.
    let cells: EventCells
    /// Where the SQLite import's cache finds the profile of the first identity
    /// (normalized): hashed on the parsing threads, not on the one writer.
    let profileKey: EventProfileCache.Key
    /// Leading bytes of `document` the SQLite store leaves out (`EventDocumentLead`).
    let lead: Int

    init(
        id: String, seconds: Double, eventType: String?, identities: [EventIdentity], document: String,
        cells: EventCells = EventCells()
    ) {
        self.id = id
        self.cells = cells
        self.seconds = seconds
        self.eventType = eventType
        self.identities = identities
        self.document = document
        profileKey = EventProfileCache.Key(identities.first?.normalized ?? EventIdentity(namespace: "", id: ""))
        lead = EventDocumentLead.length(of: document, id: id, seconds: seconds, eventType: eventType)
    }
}

/// A (namespace, id) pair of an event's identityMap.
public struct EventIdentity: Sendable, Hashable {
    public var namespace: String
    public let id: String

    /// Emails are compared trimmed and lowercased, as the identity graph compares them.
    public var normalized: EventIdentity {
        guard IdentityKey.isEmail(namespace) else { return self }
        return EventIdentity(namespace: namespace, id: IdentityKey.normalizedEmail(id))
    }
}

/// Reads XDM ExperienceEvents from JSON Lines: `_id`, `timestamp` and an
/// `identityMap` are required, `eventType` must be text when present; any
/// other field (`commerce`, `productListItems`, `web`, ...) is kept as it is.
enum EventLineParser {
    enum Parsed: Sendable, Equatable {
        case event(ImportedEvent)
        case skip
        case rejected(String)
    }

    static func parse(_ line: UnsafeRawBufferPointer) -> Parsed { read(line, scanning: true) }

    /// `cells`: the scanner's buffers, kept from line to line by the caller's thread.
    static func parse(_ line: UnsafeRawBufferPointer, cells: inout EventCells.Builder) -> Parsed {
        read(line, scanning: true, cells: &cells)
    }

    static func read(_ line: UnsafeRawBufferPointer, scanning: Bool) -> Parsed {
        var cells = EventCells.Builder()
        return read(line, scanning: scanning, cells: &cells)
    }

    /// `scanning`: the common line is read in one pass (`EventLineScanner`), the rest as a tree.
    static func read(_ line: UnsafeRawBufferPointer, scanning: Bool, cells: inout EventCells.Builder) -> Parsed {
        var line = line
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeRawBufferPointer(rebasing: line.dropFirst(3)) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .skip }
        if scanning, let event = EventLineScanner.scan(line, cells: &cells) { return .event(event) }
        return parseTree(line)
    }

    /// The line read through the JSON tree: any event, and every rejection.
    static func parseTree(_ line: UnsafeRawBufferPointer) -> Parsed {
        let document: JSONValue
        do {
            document = try JSONValue.parse(line, rejectingDuplicateKeys: true)
        } catch {
            return .rejected("broken JSON: \(error)")
        }
        guard case .object(let fields) = document else { return .rejected("not a JSON object") }
        guard case .string(let id)? = fields["_id"], !id.isEmpty else {
            return .rejected("no _id: an event needs a non-empty text _id")
        }
        guard case .string(let text)? = fields["timestamp"] else {
            return .rejected("no timestamp: an event needs an ISO 8601 date-time in timestamp")
        }
        guard let seconds = PQL.instant(text) else {
            return .rejected("timestamp \"\(text.prefix(40))\" is not an ISO 8601 date-time")
        }
        var eventType: String?
        switch fields["eventType"] {
        case nil: break
        case .string(let type)?: eventType = type
        default: return .rejected("eventType must be text")
        }
        guard let identities = identities(fields["identityMap"]), !identities.isEmpty else {
            return .rejected("no identity: an event needs an identityMap with at least one id")
        }
        return .event(
            ImportedEvent(
                id: id, seconds: seconds, eventType: eventType, identities: identities,
                document: String(decoding: line, as: UTF8.self), cells: EventCells(of: document)))
    }

    /// The identityMap's ids, the one flagged primary first, then by namespace.
    static func identities(_ map: JSONValue?) -> [EventIdentity]? {
        guard case .object(let namespaces)? = map else { return nil }
        var primary: [EventIdentity] = []
        var others: [EventIdentity] = []
        for namespace in namespaces.keys.sorted() {
            guard case .array(let entries)? = namespaces[namespace] else { continue }
            for case .object(let entry) in entries {
                guard let id = PrimaryIdentity.identityText(entry["id"]) else { continue }
                let identity = EventIdentity(namespace: namespace, id: id)
                if entry["primary"] == .bool(true) { primary.append(identity) } else { others.append(identity) }
            }
        }
        return primary + others
    }
}

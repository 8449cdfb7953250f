import Segmentation

/// A profile read from one input line, ready to be written.
struct ParsedProfile: Sendable {
    var namespace: String
    var identity: String
    /// UTF-8 JSON text of the whole record, as read: bound straight from here.
    var document: [UInt8]
    /// Whitespace between tokens: SQLite's json() compacts such a record on the
    /// writer's thread. Most JSON Lines are compact already and skip that parse.
    var needsCompaction: Bool
    /// A null anywhere in the record. SQLite's json_patch treats null as "delete
    /// the key", so such records are merged in Swift, where the newer null wins.
    var containsNull: Bool
    /// Its values as typed cells, resolved to their columns where the line was
    /// parsed (on both cores), so the single writer only binds them; the parsed
    /// tree itself is not kept.
    var cells = ProfileCells()
    /// A number in the record that only its text spells exactly.
    var hasExactNumber = false
    /// Its identities, normalized: the primary identity first, then every id of its identityMap.
    var identities: [IdentityKey] = []
    /// The record's own timestamp (`extSourceSystemAudit.lastUpdatedDate`), for the merge policy.
    var timestamp: Double?

    /// The record as text, for the rare paths that merge or parse it again.
    var doc: String { document.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
}

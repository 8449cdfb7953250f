import Segmentation

/// A profile read from one input line, ready to be written.
struct ParsedProfile: Sendable {
    var namespace: String
    var identity: String
    /// JSON text of the whole record, as read.
    var doc: String
    /// Whitespace between tokens: SQLite's json() compacts such a record on the
    /// writer's thread. Most JSON Lines are compact already and skip that parse.
    var needsCompaction: Bool
    /// A null anywhere in the record. SQLite's json_patch treats null as "delete
    /// the key", so such records are merged in Swift, where the newer null wins.
    var containsNull: Bool
    /// Its leaves as typed cells, computed with the parse; the parsed tree
    /// itself is not kept, so a batch holds text and cells only.
    var leaves: [LeafCell] = []
    /// A number in the record that only its text spells exactly.
    var hasExactNumber = false
    /// Its identities, normalized: the primary identity first, then every id of its identityMap.
    var identities: [IdentityKey] = []
    /// The record's own timestamp (`extSourceSystemAudit.lastUpdatedDate`), for the merge policy.
    var timestamp: Double?
}

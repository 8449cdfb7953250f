import Segmentation

/// An identityMap as a quick reading of a compact line found it
/// (`ProfileLineScanner`, `ProfileLineSkimmer`): per namespace (in the line's
/// order), the range of its entries, each an id (a range of the line) and its
/// primary flag. Two flat arrays: few allocations per record.
struct QuickIdentityMap {
    var namespaces: [(name: String, entries: Range<Int>)] = []
    var entries: [(id: Range<Int>, primary: Bool)] = []

    /// The primary identity and every identity, as `PrimaryIdentity.fromIdentityMap`
    /// and `IdentityKey.all` find them in the map's tree; nil when it holds no
    /// id. `bytes` is the line the ranges are of.
    func identities(in bytes: UnsafeRawBufferPointer) -> (String, String, [IdentityKey])? {
        let sorted = namespaces.sorted { $0.name < $1.name }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var primary: (String, Range<Int>)?
        var fallback: (String, Range<Int>)?
        search: for (namespace, range) in sorted {
            for entry in entries[range] where !entry.id.isEmpty {
                if entry.primary {
                    primary = (namespace, entry.id)
                    break search
                }
                if fallback == nil { fallback = (namespace, entry.id) }
            }
        }
        guard let (namespace, range) = primary ?? fallback else { return nil }
        let id = text(range)
        var keys = [IdentityKey(namespace: namespace, id: id)]
        for (namespace, range) in sorted {
            for entry in entries[range] where !entry.id.isEmpty {
                let key = IdentityKey(namespace: namespace, id: text(entry.id))
                if !keys.contains(key) { keys.append(key) }
            }
        }
        return (namespace, id, keys)
    }

    /// A line's primary identity and every identity: from `quick` when the
    /// line was read quickly, else from its identityMap's tree, which `parsed`
    /// reads; nil when there is no id or the map cannot be read.
    static func identities(
        quick: QuickIdentityMap?, parsed: () -> JSONValue?, in line: UnsafeRawBufferPointer
    ) -> (String, String, [IdentityKey])? {
        if let quick { return quick.identities(in: line) }
        guard let map = parsed() else { return nil }
        let document = JSONValue.object(["identityMap": map])
        guard let (namespace, id) = PrimaryIdentity.fromIdentityMap(document) else { return nil }
        return (namespace, id, IdentityKey.all(of: document, primary: IdentityKey(namespace: namespace, id: id)))
    }
}

extension ByteCursor {
    /// Moves past the rest of a compact identity array, after its `[`:
    /// `{"id":...}` entries with an optional `"primary"` flag, each appended to
    /// `entries` with the range of its id, which `id` reads; false for any
    /// other shape, which the caller then parses whole.
    mutating func takeCompactIdentityEntries(
        into entries: inout [(id: Range<Int>, primary: Bool)], id: (inout Self) -> Range<Int>?
    ) -> Bool {
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard take(#"{"id":"#), let range = id(&self) else { return false }
            var primary = false
            if take(#","primary":true"#) {
                primary = true
            } else {
                _ = take(#","primary":false"#)
            }
            guard take(UInt8(ascii: "}")) else { return false }
            entries.append((range, primary))
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }
}

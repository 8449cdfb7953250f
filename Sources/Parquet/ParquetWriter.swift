/// Writes an Apache Parquet file as a stream of bytes: rows go in, and each
/// full row group comes out as bytes the caller can upload at once, so memory
/// holds one row group whatever the number of rows. The footer, in Thrift's
/// compact protocol, follows the last row group.
///
/// Every column is optional (nulls are definition levels), pages are
/// DataPage v1 with PLAIN values and RLE/bit-packed levels, one page per
/// column chunk. Spec: https://github.com/apache/parquet-format
public struct ParquetWriter: Sendable {
    public let fields: [ParquetField]
    public let compression: ParquetCompression
    /// A row group is written once its buffered levels and values reach this size.
    public let rowGroupBytes: Int
    public let createdBy: String

    static let magic: [UInt8] = Array("PAR1".utf8)

    private var columns: [ColumnBuffer] = []
    private var nodes: [Node] = []
    private var rowsInGroup = 0
    private var totalRows: Int64 = 0
    /// Bytes handed out so far: the file offset of the next byte.
    private var offset: Int64 = 0
    private var rowGroups: [RowGroupInfo] = []
    private var bufferedEstimate = 0

    /// How a field's value is split into its leaf columns.
    indirect enum Node: Sendable {
        case leaf(column: Int, type: ParquetType, path: String)
        case group([Node], columns: Range<Int>, path: String)
        case list(Node, columns: Range<Int>, path: String)
    }

    struct ChunkInfo: Sendable {
        var path: [String]
        /// Where the dictionary page starts, for a dictionary-encoded chunk.
        var dictionaryOffset: Int64?
        var physical: ColumnBuffer.Physical
        var levelCount: Int
        var nulls: Int
        var bounds: (min: [UInt8], max: [UInt8])?
        var offset: Int64
        var uncompressed: Int64
        var compressed: Int64
    }

    struct RowGroupInfo: Sendable {
        var chunks: [ChunkInfo]
        var rows: Int64
        var uncompressed: Int64
    }

    public init(
        fields: [ParquetField], compression: ParquetCompression = .none, rowGroupBytes: Int = 16 << 20,
        createdBy: String = "ferry"
    ) {
        self.fields = fields
        self.compression = compression
        self.rowGroupBytes = rowGroupBytes
        self.createdBy = createdBy
        for field in fields {
            nodes.append(Self.node(field.type, path: [field.name], definition: 0, repetition: 0, into: &columns))
        }
    }

    private static func node(
        _ type: ParquetType, path: [String], definition: Int, repetition: Int, into columns: inout [ColumnBuffer]
    ) -> Node {
        let dotted = path.joined(separator: ".")
        switch type {
        case .group(let members):
            let first = columns.count
            let children = members.map {
                node(
                    $0.type, path: path + [$0.name], definition: definition + 1, repetition: repetition, into: &columns)
            }
            return .group(children, columns: first..<columns.count, path: dotted)
        case .list(let element):
            let first = columns.count
            let child = node(
                element, path: path + ["list", "element"], definition: definition + 2, repetition: repetition + 1,
                into: &columns)
            return .list(child, columns: first..<columns.count, path: dotted)
        case .string, .int64, .double, .boolean, .timestamp:
            let physical: ColumnBuffer.Physical =
                switch type {
                case .string: .byteArray
                case .double: .double
                case .boolean: .boolean
                default: .int64
                }
            columns.append(
                ColumnBuffer(path: path, physical: physical, maxDefinition: definition + 1, maxRepetition: repetition))
            return .leaf(column: columns.count - 1, type: type, path: dotted)
        }
    }

    /// Rows buffered in the row group being built.
    public var bufferedRows: Int { rowsInGroup }

    /// Bytes of levels and values buffered, which bounds the next row group's size.
    public var bufferedBytes: Int { bufferedEstimate }

    /// Adds one row, a value per field. A row that does not fit the schema is
    /// refused whole, so the file never holds half of it.
    public mutating func append(_ row: [ParquetValue]) throws(ParquetValueError) {
        guard row.count == nodes.count else {
            throw ParquetValueError(column: "", expected: "\(nodes.count) columns", value: "a row of \(row.count)")
        }
        for (node, value) in zip(nodes, row) { try Self.check(value, node) }
        for (node, value) in zip(nodes, row) { shred(value, node, definition: 0, repetition: 0, depth: 0) }
        rowsInGroup += 1
    }

    /// True when the buffered row group has reached its size and should be flushed.
    public var rowGroupIsFull: Bool { bufferedEstimate >= rowGroupBytes }

    private static func check(_ value: ParquetValue, _ node: Node) throws(ParquetValueError) {
        if case .null = value { return }
        switch (node, value) {
        case (.leaf(_, .string, _), .string), (.leaf(_, .int64, _), .int64), (.leaf(_, .double, _), .double),
            (.leaf(_, .boolean, _), .boolean), (.leaf(_, .timestamp, _), .timestamp):
            return
        case (.group(let children, _, let path), .group(let values)):
            guard children.count == values.count else {
                throw ParquetValueError(
                    column: path, expected: "a struct of \(children.count) fields", value: "\(values.count) values")
            }
            for (child, member) in zip(children, values) { try check(member, child) }
        case (.list(let element, _, _), .list(let items)):
            for item in items { try check(item, element) }
        case (.leaf(_, let type, let path), _):
            throw ParquetValueError(column: path, expected: type.name, value: describe(value))
        case (.group(_, _, let path), _):
            throw ParquetValueError(column: path, expected: "a struct", value: describe(value))
        case (.list(_, _, let path), _):
            throw ParquetValueError(column: path, expected: "a list", value: describe(value))
        }
    }

    private static func describe(_ value: ParquetValue) -> String {
        switch value {
        case .null: "null"
        case .string: "a string"
        case .int64(let n): "the integer \(n)"
        case .double(let d): "the number \(d)"
        case .boolean(let b): "\(b)"
        case .timestamp: "a timestamp"
        case .list: "a list"
        case .group: "a struct"
        }
    }

    /// Dremel's record shredding: each leaf gets a repetition level (which
    /// list a value starts a new element of) and a definition level (how much
    /// of its path is present).
    private mutating func shred(_ value: ParquetValue, _ node: Node, definition: Int, repetition: Int, depth: Int) {
        switch node {
        case .leaf(let column, _, _):
            switch value {
            case .null:
                columns[column].addNull(repetition: repetition, definition: definition)
                bufferedEstimate += 2
                return
            case .string(let text):
                columns[column].add(string: text)
                bufferedEstimate += 4 + text.utf8.count
            case .int64(let n), .timestamp(let n):
                columns[column].add(int64: n)
                bufferedEstimate += 8
            case .double(let d):
                columns[column].add(double: d)
                bufferedEstimate += 8
            case .boolean(let b):
                columns[column].add(boolean: b)
            case .list, .group:
                preconditionFailure("checked before shredding")
            }
            columns[column].addLevels(repetition: repetition, definition: definition + 1)
            bufferedEstimate += 2
        case .group(let children, let range, _):
            guard case .group(let values) = value else {
                for column in range { columns[column].addNull(repetition: repetition, definition: definition) }
                bufferedEstimate += 2 * range.count
                return
            }
            for (child, member) in zip(children, values) {
                shred(member, child, definition: definition + 1, repetition: repetition, depth: depth)
            }
        case .list(let element, let range, _):
            guard case .list(let items) = value, !items.isEmpty else {
                // A null list stops at the list's level; an empty one at the repeated group's.
                let level = value == .null ? definition : definition + 1
                for column in range { columns[column].addNull(repetition: repetition, definition: level) }
                bufferedEstimate += 2 * range.count
                return
            }
            for (k, item) in items.enumerated() {
                shred(
                    item, element, definition: definition + 2, repetition: k == 0 ? repetition : depth + 1,
                    depth: depth + 1)
            }
        }
    }

    /// Writes the buffered rows as a row group; nothing when none are buffered.
    public mutating func flushRowGroup(into out: inout [UInt8]) {
        writeMagicIfFirst(into: &out)
        guard rowsInGroup > 0 else { return }
        var chunks: [ChunkInfo] = []
        var groupUncompressed: Int64 = 0
        for index in columns.indices {
            let column = columns[index]
            let pages = column.pages()
            let chunkStart = offset
            var uncompressed: Int64 = 0
            var dictionaryOffset: Int64?
            if let dictionary = pages.dictionary {
                let compressed = compression.compress(dictionary)
                var header = ThriftCompactWriter()
                header.field(1, i32: 2)  // DICTIONARY_PAGE
                header.field(2, i32: Int32(dictionary.count))
                header.field(3, i32: Int32(compressed.count))
                header.field(7) { page in
                    page.field(1, i32: Int32(pages.dictionaryCount))
                    page.field(2, i32: 0)  // PLAIN
                }
                header.endStruct()
                dictionaryOffset = offset
                append(header.bytes, to: &out)
                append(compressed, to: &out)
                uncompressed += Int64(header.bytes.count + dictionary.count)
            }
            let body = pages.body
            let compressed = compression.compress(body)
            var header = ThriftCompactWriter()
            header.field(1, i32: 0)  // DATA_PAGE
            header.field(2, i32: Int32(body.count))
            header.field(3, i32: Int32(compressed.count))
            header.field(5) { page in
                page.field(1, i32: Int32(column.levelCount))
                page.field(2, i32: pages.dictionary == nil ? 0 : 8)  // PLAIN or RLE_DICTIONARY
                page.field(3, i32: 3)  // RLE
                page.field(4, i32: 3)  // RLE
            }
            header.endStruct()
            let dataOffset = offset
            append(header.bytes, to: &out)
            append(compressed, to: &out)
            uncompressed += Int64(header.bytes.count + body.count)
            groupUncompressed += uncompressed
            chunks.append(
                ChunkInfo(
                    path: column.path, dictionaryOffset: dictionaryOffset, physical: column.physical,
                    levelCount: column.levelCount, nulls: column.nulls, bounds: column.bounds(), offset: dataOffset,
                    uncompressed: uncompressed, compressed: offset - chunkStart))
            columns[index].reset()
        }
        rowGroups.append(RowGroupInfo(chunks: chunks, rows: Int64(rowsInGroup), uncompressed: groupUncompressed))
        totalRows += Int64(rowsInGroup)
        rowsInGroup = 0
        bufferedEstimate = 0
    }

    /// Writes what is buffered, then the footer; the file is complete after this.
    public mutating func finish(into out: inout [UInt8]) {
        flushRowGroup(into: &out)
        let footer = footerBytes()
        append(footer, to: &out)
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt32(footer.count).littleEndian) { length.append(contentsOf: $0) }
        append(length, to: &out)
        append(Self.magic, to: &out)
    }

    /// Rows written in row groups so far.
    public var rowsWritten: Int64 { totalRows }

    private mutating func writeMagicIfFirst(into out: inout [UInt8]) {
        if offset == 0 { append(Self.magic, to: &out) }
    }

    private mutating func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: bytes)
        offset += Int64(bytes.count)
    }

    /// FileMetaData, Thrift compact.
    func footerBytes() -> [UInt8] {
        var w = ThriftCompactWriter()
        w.field(1, i32: 1)
        var elements: [(inout ThriftCompactWriter) -> Void] = []
        elements.append { w in
            w.field(4, string: "schema")
            w.field(5, i32: Int32(fields.count))
        }
        for field in fields { Self.schemaElements(field.name, field.type, into: &elements) }
        w.field(2, structs: elements) { w, element in element(&w) }
        w.field(3, i64: totalRows)
        w.field(4, structs: rowGroups) { w, group in
            w.field(1, structs: group.chunks) { w, chunk in
                w.field(2, i64: chunk.dictionaryOffset ?? chunk.offset)
                w.field(3) { meta in
                    meta.field(1, i32: chunk.physical.rawValue)
                    // PLAIN, RLE, and RLE_DICTIONARY for a dictionary-encoded chunk.
                    meta.field(2, i32s: chunk.dictionaryOffset == nil ? [0, 3] : [0, 3, 8])
                    meta.field(3, strings: chunk.path)
                    meta.field(4, i32: compression.codec)
                    meta.field(5, i64: Int64(chunk.levelCount))
                    meta.field(6, i64: chunk.uncompressed)
                    meta.field(7, i64: chunk.compressed)
                    meta.field(9, i64: chunk.offset)
                    if let dictionaryOffset = chunk.dictionaryOffset { meta.field(11, i64: dictionaryOffset) }
                    // min_value/max_value (5, 6), not the deprecated min/max whose order
                    // was never defined; with the column orders below, readers can
                    // skip row groups a filter rules out.
                    meta.field(12) { statistics in
                        statistics.field(3, i64: Int64(chunk.nulls))
                        if let bounds = chunk.bounds {
                            statistics.field(5, binary: bounds.max)
                            statistics.field(6, binary: bounds.min)
                        }
                    }
                }
            }
            w.field(2, i64: group.uncompressed)
            w.field(3, i64: group.rows)
        }
        w.field(6, string: createdBy)
        // TYPE_ORDER for every leaf: the order the statistics above are in.
        w.field(7, structs: columns) { w, _ in w.field(1) { _ in } }
        w.endStruct()
        return w.bytes
    }

    /// The schema's elements for one field, depth first, as the footer lists them.
    private static func schemaElements(
        _ name: String, _ type: ParquetType, repetition: Int32 = 1,
        into elements: inout [(inout ThriftCompactWriter) -> Void]
    ) {
        switch type {
        case .group(let members):
            elements.append { w in
                w.field(3, i32: repetition)
                w.field(4, string: name)
                w.field(5, i32: Int32(members.count))
            }
            for member in members { schemaElements(member.name, member.type, into: &elements) }
        case .list(let element):
            elements.append { w in
                w.field(3, i32: repetition)
                w.field(4, string: name)
                w.field(5, i32: 1)
                w.field(6, i32: 3)  // LIST
                w.field(10) { logical in logical.field(3) { _ in } }
            }
            elements.append { w in
                w.field(3, i32: 2)  // REPEATED
                w.field(4, string: "list")
                w.field(5, i32: 1)
            }
            schemaElements("element", element, into: &elements)
        case .string:
            elements.append { w in
                w.field(1, i32: ColumnBuffer.Physical.byteArray.rawValue)
                w.field(3, i32: repetition)
                w.field(4, string: name)
                w.field(6, i32: 0)  // UTF8
                w.field(10) { logical in logical.field(1) { _ in } }
            }
        case .int64, .double, .boolean:
            let physical: ColumnBuffer.Physical = type == .int64 ? .int64 : (type == .double ? .double : .boolean)
            elements.append { w in
                w.field(1, i32: physical.rawValue)
                w.field(3, i32: repetition)
                w.field(4, string: name)
            }
        case .timestamp:
            elements.append { w in
                w.field(1, i32: ColumnBuffer.Physical.int64.rawValue)
                w.field(3, i32: repetition)
                w.field(4, string: name)
                w.field(6, i32: 10)  // TIMESTAMP_MICROS
                w.field(10) { logical in
                    logical.field(8) { timestamp in
                        timestamp.field(1, bool: true)
                        timestamp.field(2) { unit in unit.field(2) { _ in } }
                    }
                }
            }
        }
    }
}

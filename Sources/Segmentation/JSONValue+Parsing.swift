extension JSONValue {
    /// Fast UTF-8 parser over raw bytes; throws `JSONParseError` with the byte offset of the problem.
    /// `rejectingDuplicateKeys` makes `{"a":1,"a":2}` an error instead of keeping the last value.
    public static func parse(_ bytes: UnsafeRawBufferPointer, rejectingDuplicateKeys: Bool = false)
        throws(JSONParseError) -> JSONValue
    {
        var parser = JSONParser(bytes, rejectsDuplicateKeys: rejectingDuplicateKeys)
        return try parser.readDocument()
    }

    /// Parses JSON text; see `parse(_:)` over bytes.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }
}

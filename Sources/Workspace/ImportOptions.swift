/// How `ProfileImporter` reads its inputs.
public struct ImportOptions: Sendable {
    /// Forced format; nil takes it from each file's extension (standard input: JSON Lines).
    public var format: ImportFormat?
    /// With `identityField`, names the primary identity instead of `identityMap`. CSV needs both.
    public var namespace: String?
    /// Dotted path of the field holding the identity value.
    public var identityField: String?
    /// Rejected lines tolerated; one more stops the import.
    public var maxErrors: Int
    /// Rows per transaction. A killed import loses at most the batch in flight.
    public var batchSize: Int

    public init(
        format: ImportFormat? = nil, namespace: String? = nil, identityField: String? = nil, maxErrors: Int = 100,
        batchSize: Int = 10_000
    ) {
        self.format = format
        self.namespace = namespace
        self.identityField = identityField
        self.maxErrors = maxErrors
        self.batchSize = batchSize
    }
}

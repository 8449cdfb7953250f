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
    /// Most identities one profile keeps linked; past it the oldest links are
    /// dropped, a guard against one shared id merging everyone (the reference's graph limit is 50).
    public var identityLimit: Int

    public init(
        format: ImportFormat? = nil, namespace: String? = nil, identityField: String? = nil, maxErrors: Int = 100,
        batchSize: Int = 10_000, identityLimit: Int = ImportOptions.defaultIdentityLimit
    ) {
        self.format = format
        self.namespace = namespace
        self.identityField = identityField
        self.maxErrors = maxErrors
        self.batchSize = batchSize
        self.identityLimit = identityLimit
    }

    /// The reference's limit of identities in one graph.
    public static let defaultIdentityLimit = 50
}

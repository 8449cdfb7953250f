/// Everything above the store (export, scheduling, the use cases, the CLI and
/// the HTTP server) talks to a workspace through this, so a PostgreSQL
/// workspace can stand in for the SQLite one.
public typealias FerryStore = ProfileStore & SegmentStore & Catalog & RunLedger & LeaseStore & ExportRowStore
    & IdentityStore

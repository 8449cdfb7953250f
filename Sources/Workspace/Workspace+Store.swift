/// The SQLite implementation of the store's seams.
extension Workspace: ProfileStore, SegmentStore, Catalog, RunLedger, LeaseStore {}

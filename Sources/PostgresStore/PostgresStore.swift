import PostgresNIO
import Workspace

/// The PostgreSQL workspace: the same store protocols as the SQLite one, for
/// many workers on one shared database.
public enum PostgresStoreModule {}

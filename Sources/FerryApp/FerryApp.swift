import Workspace

/// The use cases that the CLI and the HTTP server share.
public enum FerryAppModule {}

import FerryApp
import Hummingbird

/// Ferry's REST API, web console and metrics.
public enum FerryHTTPModule {}

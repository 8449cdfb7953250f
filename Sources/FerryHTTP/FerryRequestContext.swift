import FerryApp
import Hummingbird

/// Each request's context: who called, once the token or session is checked.
public struct FerryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token behind the request, set by `TokenAuthMiddleware` or the console's session.
    public var token: TokenView?
    /// The console session, when the request came with its cookie.
    public var session: ConsoleSession?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies are small JSON objects or forms; a larger one is refused before it is read.
    public var maxUploadSize: Int { 1 << 20 }
}

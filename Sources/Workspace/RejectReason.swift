/// Why a line was rejected, in words for the user.
struct RejectReason: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

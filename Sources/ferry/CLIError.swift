import Foundation

/// A failure already phrased for the user: one sentence and the exit code to leave with.
struct CLIError: Error {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
}

/// Exit codes are part of the CLI contract, so scripts can branch on them.
enum ExitStatus {
    static let failure: Int32 = 1
    /// Bad input: credentials, bucket name, PQL text, unknown names.
    static let badInput: Int32 = 2
    /// A permission check found missing IAM permissions.
    static let missingPermissions: Int32 = 3
    /// `status --check`: a segment's export is delayed or its last run failed.
    static let unhealthy: Int32 = 4
}

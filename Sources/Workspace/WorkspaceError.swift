import Foundation

/// A workspace failure a user can act on: a stable code for callers to branch on
/// and one sentence for people.
public struct WorkspaceError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case cannotCreateDirectory
        case noWorkspace
        case cannotSetPermissions
        case badKeyFile
        case missingKeyFile
        case badMasterKey
        case segmentNotFound
        case segmentExists
        case segmentInUse
        case badSegmentName
        case badName
        case badSegmentId
        case profileNotFound
        case badIdentity
        case unreadableInput
        case unknownFormat
        case badHeader
        case missingIdentityOptions
        case destinationNotFound
        case destinationExists
        case destinationInUse
        case activationNotFound
        case activationExists
        case activationConflict
        case runNotFound
        case corruptWorkspace
        case segmentDependency
        case tokenNotFound
        case tokenExists
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// True when the user's input, not the machine, is at fault; the CLI exits 2 then.
    public var isBadInput: Bool {
        switch code {
        case .cannotCreateDirectory, .cannotSetPermissions, .badKeyFile, .missingKeyFile, .unreadableInput, .corruptWorkspace: false
        default: true
        }
    }
}

import Export
import Foundation
import S3
import Segmentation
import Workspace

/// A use case's failure, phrased once for every front end: the CLI turns
/// `kind` into an exit code, the HTTP server into a status.
public struct AppError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The caller's input is wrong; `field` names it when one field is.
        case badInput
        case notFound
        /// The request clashes with what exists (a name taken, a destination in use).
        case conflict
        /// The destination's credentials lack an S3 permission.
        case missingPermission
        /// Another process holds what was asked for, or the store is busy.
        case busy
        /// S3 failed or could not be reached: not the caller's input, not Ferry's fault.
        case upstream
        case failure
    }

    public var kind: Kind
    /// A stable code to branch on, e.g. `segmentNotFound`.
    public var code: String
    public var message: String
    public var field: String?
    /// The permission check behind a `missingPermission`, when one ran.
    public var permissions: PermissionReport?
    /// More lines for a person, e.g. the PQL line with a caret under the error.
    public var detail: String?

    public init(
        _ kind: Kind, code: String, _ message: String, field: String? = nil, permissions: PermissionReport? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.permissions = permissions
    }

    public static func badInput(_ message: String, field: String? = nil, code: String = "badInput") -> AppError {
        AppError(.badInput, code: code, message, field: field)
    }

    public var description: String { message }

    /// A field as the CLI's option names it (`nullValue` is `--null-value`). Messages name
    /// options this way for both front ends, so they read the same everywhere; the API
    /// also names the JSON field in `field`.
    public static func option(_ field: String) -> String {
        var out = "--"
        for character in field {
            if character.isUppercase {
                out += "-" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The library's errors as a user sees them; nil for errors no layer
    /// phrased, which front ends report as internal without their text.
    public static func from(_ error: any Error) -> AppError? {
        switch error {
        case let error as AppError:
            return error
        case let error as WorkspaceError:
            let kind: Kind
            switch error.code {
            case .segmentNotFound, .destinationNotFound, .activationNotFound, .runNotFound, .profileNotFound,
                .tokenNotFound, .noWorkspace:
                kind = .notFound
            case .segmentExists, .destinationExists, .activationExists, .activationConflict, .segmentInUse,
                .destinationInUse, .tokenExists:
                kind = .conflict
            default:
                kind = error.isBadInput ? .badInput : .failure
            }
            return AppError(kind, code: error.code.rawValue, error.message)
        case let error as PQLError:
            var described = AppError(
                .badInput, code: "badPQL", "\(error.message) at \(error.line):\(error.column)", field: "pql")
            described.detail = error.description
            return described
        case let error as SecretBoxError:
            return AppError(.failure, code: "secretBox", "\(error)")
        case let error as S3ConfigurationError:
            return AppError(.badInput, code: "s3Configuration", "\(error)")
        case let error as S3Error:
            let kind: Kind =
                error.isAccessDenied
                ? .missingPermission
                : error.isCredentialError || error.code == "NoSuchBucket" ? .badInput : .upstream
            return AppError(kind, code: "s3", "\(error)")
        case let error as STSError:
            let kind: Kind =
                error.isAccessDenied
                ? .missingPermission
                : error.code == "InvalidClientTokenId" || error.code == "SignatureDoesNotMatch" ? .badInput : .upstream
            return AppError(kind, code: "sts", "\(error)")
        case let error as MultipartUploadError:
            var inner = from(error.underlying) ?? AppError(.failure, code: "upload", "\(error.underlying)")
            inner.message += " (multipart upload \(error.uploadId) left open)"
            return inner
        case let error as ExportError:
            return AppError(
                error.code == .upload || error.code == .credentials ? .failure : .badInput, code: "export", "\(error)")
        case let error as TemplateError:
            return AppError(.badInput, code: "template", "\(error)")
        case let error as LeaseLostError:
            return AppError(.busy, code: "leaseLost", "\(error)")
        default:
            if let busy = WorkspaceBusyError.from(error) { return AppError(.busy, code: "busy", "\(busy)") }
            return nil
        }
    }
}

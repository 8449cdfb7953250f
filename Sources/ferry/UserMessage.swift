import ArgumentParser
import Export
import FerryApp
import Foundation
import S3
import Workspace

/// Maps library errors to one sentence and an exit code.
enum UserMessage {
    /// A failed run's sentence and the exit code it calls for: 3 when it
    /// lacked an S3 permission, 1 for anything else, bad input included, since
    /// the command itself was given correctly.
    static func runFailure(_ error: any Error) -> (message: String, exitCode: Int32) {
        let described = describe(error)
        return (
            described?.message ?? "ferry: \(error)",
            described?.exitCode == ExitStatus.missingPermissions ? ExitStatus.missingPermissions : ExitStatus.failure
        )
    }

    static func describe(_ error: any Error) -> (message: String, exitCode: Int32)? {
        switch error {
        case let error as S3ConfigurationError:
            return ("ferry: \(error)", ExitStatus.badInput)
        case let error as S3Error:
            let code =
                error.isAccessDenied
                ? ExitStatus.missingPermissions
                : error.isCredentialError || error.code == "NoSuchBucket" ? ExitStatus.badInput : ExitStatus.failure
            return ("ferry: \(error)", code)
        case let error as MultipartUploadError:
            if let inner = describe(error.underlying) {
                return (inner.message + " (multipart upload \(error.uploadId) left open)", inner.exitCode)
            }
            return ("ferry: \(error)", ExitStatus.failure)
        case let error as ExportError:
            return (
                "ferry: \(error)",
                error.code == .upload || error.code == .credentials ? ExitStatus.failure : ExitStatus.badInput
            )
        case let error as TemplateError:
            return ("ferry: \(error)", ExitStatus.badInput)
        case let error as STSError:
            let code =
                error.isAccessDenied
                ? ExitStatus.missingPermissions
                : error.code == "InvalidClientTokenId" || error.code == "SignatureDoesNotMatch"
                    ? ExitStatus.badInput : ExitStatus.failure
            return ("ferry: \(error)", code)
        case let error as LeaseLostError:
            return ("ferry: \(error)", ExitStatus.failure)
        default:
            if let busy = WorkspaceBusyError.from(error) { return ("ferry: \(busy)", ExitStatus.failure) }
            // A database failure from a command that did not translate it at its edge.
            if let store = StoreLocator.userMessage(for: error) {
                return ("ferry: \(store.message)", store.isBadInput ? ExitStatus.badInput : ExitStatus.failure)
            }
            return nil
        }
    }
}

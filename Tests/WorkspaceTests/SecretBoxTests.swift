import Crypto
import Foundation
import Testing

@testable import Workspace

@Suite struct SecretBoxTests {
    @Test func sealsAndOpensWithTheWorkspaceKey() throws {
        let temp = try TemporaryWorkspace()
        let sealed = try temp.workspace.secretBox.seal("AKIA/secret+key")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("secret"))
        #expect(try temp.workspace.secretBox.openString(sealed) == "AKIA/secret+key")
        // A second seal of the same text differs: every seal has a fresh nonce.
        #expect(try temp.workspace.secretBox.seal("AKIA/secret+key") != sealed)
    }

    @Test func keyFileIsCreatedOnceWithOwnerOnlyPermissions() throws {
        let temp = try TemporaryWorkspace()
        let keyPath = temp.directory.appendingPathComponent(Workspace.keyFileName).path
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        let sealed = try temp.workspace.secretBox.seal("s")
        // Reopening the same folder reads the same key.
        let reopened = try Workspace(directory: temp.directory, environment: [:])
        #expect(try reopened.secretBox.openString(sealed) == "s")
    }

    @Test func anotherKeyIsReportedAsSuch() throws {
        let temp = try TemporaryWorkspace()
        let sealed = try temp.workspace.secretBox.seal("s")
        let other = SecretBox(key: SymmetricKey(size: .bits256))
        #expect(throws: SecretBoxError(.wrongKey)) { try other.open(sealed) }
        #expect(
            SecretBoxError(.wrongKey).description.contains(
                "copy ferry.key along with the workspace or set FERRY_MASTER_KEY"))
    }

    @Test func alteredBytesAreDamagedNotWrongKey() throws {
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        var sealed = try box.seal("secret")
        sealed[sealed.count - 1] ^= 0x01
        #expect(throws: SecretBoxError(.damaged)) { try box.open(sealed) }
        #expect(throws: SecretBoxError(.damaged)) { try box.open(Data([1, 2, 3])) }
    }

    @Test func masterKeyFromTheEnvironmentWins() throws {
        let master = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let temp = try TemporaryWorkspace(environment: ["FERRY_MASTER_KEY": master])
        let sealed = try temp.workspace.secretBox.seal("s")
        let sameMaster = try SecretBox(base64Key: master)
        #expect(try sameMaster.openString(sealed) == "s")
        // The workspace's own key file does not open what the master key sealed.
        let fileKeyed = try Workspace(directory: temp.directory, environment: [:])
        #expect(throws: SecretBoxError(.wrongKey)) { try fileKeyed.secretBox.open(sealed) }
    }

    @Test func badMasterKeyIsRefused() {
        #expect(throws: WorkspaceError.self) { try SecretBox(base64Key: "too-short") }
        #expect(throws: WorkspaceError.self) { try SecretBox(base64Key: Data(count: 16).base64EncodedString()) }
    }
}

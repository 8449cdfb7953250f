import Foundation

/// Destinations and the activations that send segments to them.
public protocol Catalog: Sendable {
    func insertDestination(_ destination: DestinationRecord) async throws

    /// Every destination, by name.
    func destinations() async throws -> [DestinationRecord]

    /// The destination with this id, else with this name.
    func destination(named nameOrId: String) async throws -> DestinationRecord

    /// Refused while an activation sends to it.
    @discardableResult
    func deleteDestination(_ nameOrId: String) async throws -> DestinationRecord

    /// Refused when another activation could write the same S3 keys.
    func insertActivation(_ activation: ActivationRecord) async throws

    /// Every activation, by name.
    func activations() async throws -> [ActivationRecord]

    /// The activation with this id, else with this name.
    func activation(named nameOrId: String) async throws -> ActivationRecord

    func updateActivation(_ activation: ActivationRecord) async throws

    @discardableResult
    func deleteActivation(_ nameOrId: String) async throws -> ActivationRecord

    /// Another activation that can write the same S3 keys as `activation`, or nil.
    func conflictingActivation(for activation: ActivationRecord) async throws -> ActivationRecord?

    /// The error that names both activations of a conflict.
    func conflictError(_ activation: ActivationRecord, _ other: ActivationRecord) async throws -> WorkspaceError
}

import Foundation
import PostgresNIO
import Workspace

/// The column lists and row readers of the records the store returns, one
/// place per table so a select and its reader cannot drift apart.
enum PostgresRows {
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static let destinationColumns = """
        id, name, bucket, folder_path, region, endpoint, file_type, compression, manifest, format, \
        access_key_id, sealed_secret, sealed_session_token, created_at, pgp_public_key, pgp_fingerprint, role_arn, \
        external_id, role_session_name, sse, kms_key_id
        """

    static func destination(_ row: PostgresRow) throws -> DestinationRecord {
        let r = try row.decode(
            (
                String, String, String, String, String?, String?, String, String, Bool, String, String, Data, Data?,
                Double
            ).self)
        // The security columns by name: one tuple of 21 would be slow to type-check.
        let named = row.makeRandomAccess()
        return DestinationRecord(
            id: r.0, name: r.1, bucket: r.2, folderPath: r.3, region: r.4, endpoint: r.5, fileType: r.6,
            compression: r.7, manifest: r.8, format: r.9, accessKeyId: r.10, sealedSecret: r.11,
            sealedSessionToken: r.12, createdAt: date(r.13),
            pgpPublicKey: try named["pgp_public_key"].decode(Data?.self),
            pgpFingerprint: try named["pgp_fingerprint"].decode(String?.self),
            roleArn: try named["role_arn"].decode(String?.self),
            externalId: try named["external_id"].decode(String?.self),
            roleSessionName: try named["role_session_name"].decode(String?.self),
            sse: try named["sse"].decode(String?.self), kmsKeyId: try named["kms_key_id"].decode(String?.self))
    }

    static let activationColumns = """
        id, name, destination_id, segment_ids, mappings, mandatory, dedup_keys, mode, frequency, start, end_day, \
        time_zone, file_name_template, max_rows_per_file, enabled, created_at, day, "trigger"
        """

    static func activation(_ row: PostgresRow) throws -> ActivationRecord {
        let r = try row.decode(
            (
                String, String, String, String, String, String, String, String, String, Double, String?, String,
                String, Int, Bool, Double
            ).self)
        let named = row.makeRandomAccess()
        guard let mode = ExportMode(rawValue: r.7), let frequency = ActivationFrequency(rawValue: r.8),
            let trigger = ActivationTrigger(rawValue: try named["trigger"].decode(String.self))
        else {
            throw PostgresStoreError(.notInitialized, "Activation '\(r.1)' has an unknown mode, frequency or trigger.")
        }
        return ActivationRecord(
            id: r.0, name: r.1, destinationId: r.2, segmentIds: try decodeJSON([String].self, r.3),
            mappings: try decodeJSON([ColumnMapping].self, r.4), mandatory: try decodeJSON([String].self, r.5),
            dedupKeys: try decodeJSON([String].self, r.6), mode: mode, frequency: frequency, start: date(r.9),
            endDay: r.10, timeZone: r.11, fileNameTemplate: r.12, maxRowsPerFile: r.13, enabled: r.14,
            createdAt: date(r.15), day: try named["day"].decode(Int?.self), trigger: trigger)
    }

    static let runColumns = """
        id, activation_id, segment_id, destination_id, scheduled_time, started_at, finished_at, status, mode, \
        evaluation_id, profiles_received, exported, excluded_mandatory, excluded_duplicate, files, error, attempts, \
        skipped_times
        """

    static func run(_ row: PostgresRow) throws -> RunRecord {
        let r = try row.decode(
            (
                String, String, String, String, Double, Double, Double?, String, String, Int64?, Int, Int, Int, Int,
                String, String?, Int, Int
            ).self)
        var run = RunRecord(
            id: r.0, activationId: r.1, segmentId: r.2, destinationId: r.3, scheduledTime: date(r.4),
            startedAt: date(r.5), mode: ExportMode(rawValue: r.8) ?? .full)
        run.finishedAt = r.6.map(date)
        run.status = RunRecord.Status(rawValue: r.7) ?? .failed
        run.evaluationId = r.9
        run.profilesReceived = r.10
        run.exported = r.11
        run.excludedMandatory = r.12
        run.excludedDuplicate = r.13
        run.files = try decodeJSON([RunFile].self, r.14)
        run.error = r.15
        run.attempts = r.16
        run.skippedTimes = r.17
        return run
    }

    static let segmentColumns = "sid, id, name, pql, description, created_at, last_failure, last_failed_at"

    static func segment(_ row: PostgresRow) throws -> SegmentRecord {
        let r = try row.decode((Int64, String, String, String, String?, Double, String?, Double?).self)
        return SegmentRecord(
            sid: r.0, id: r.1, name: r.2, pql: r.3, description: r.4, createdAt: date(r.5), lastFailure: r.6,
            lastFailedAt: r.7.map(date))
    }

    static let evaluationColumns = "id, sid, started_at, finished_at, realized, existing, exited, used_sql"

    static func evaluation(_ row: PostgresRow) throws -> EvaluationRecord {
        let r = try row.decode((Int64, Int64, Double, Double?, Int, Int, Int, Bool).self)
        return .make(
            id: r.0, sid: r.1, startedAt: date(r.2), finishedAt: r.3.map(date), realized: r.4, existing: r.5,
            exited: r.6, usedSQL: r.7)
    }
}

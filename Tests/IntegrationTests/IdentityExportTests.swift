import Foundation
import S3
import Testing

/// Merged profiles exported to moto on both backends and read back with
/// Python's csv module: one row per person, with an id per namespace.
@Suite struct IdentityExportTests {
    let env = TestEnvironment.shared

    @Test(arguments: Backend.allCases)
    func mergedProfilesExportOnceWithTheirIdentities(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("identities")
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"Ann@X.io"}]},"extSourceSystemAudit":{"lastUpdatedDate":"2026-11-01T00:00:00Z"},"person":{"name":"Ann, \"A\" Lee"},"tier":"gold"}"#,
            #"{"identityMap":{"ECID":[{"id":"e-1"}]},"web":{"cart":true}}"#,
            #"{"identityMap":{"Email":[{"id":"bob@x.io"}]},"person":{"name":"Bob"},"tier":"gold"}"#,
            #"{"identityMap":{"ECID":[{"id":"e-2"}]},"tier":"silver"}"#,
        ])
        // The web record links Ann's e-mail (written in another case) to her cookie;
        // it is older than her CRM record, so her name stays.
        try await cli.importLines([
            #"{"identityMap":{"ECID":[{"id":"e-1","primary":true}],"Email":[{"id":" ann@x.io"}]},"extSourceSystemAudit":{"lastUpdatedDate":"2026-10-01T00:00:00Z"},"person":{"name":"Old"}}"#
        ])
        let shown = try await cli(["profiles", "show", "ECID:e-1"])
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains(#"Ann, \"A\" Lee"#))
        #expect(shown.stderr.contains("2 identities"))
        let identities = try await cli(["identities", "show", "Email:ANN@x.io"])
        let listed = identities.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(Set(listed) == ["Email:ann@x.io", "ECID:e-1"])
        #expect(identities.stdout.contains("Email:ann@x.io\t2026-") && identities.stdout.contains("\tprimary"))
        #expect(try await cli(["identities", "show", "Email:nobody@x.io"]).exitCode == 2)
        #expect(try await cli(["profiles", "count"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3")

        #expect(try await cli(["segments", "create", "gold", "--pql", #"tier = "gold""#]).exitCode == 0)
        let created = try await cli([
            "destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix + "%SEGMENT_NAME%",
        ])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let made = try await cli([
            "activations", "create", "a", "--destination", "d", "--segment", "gold", "--map",
            "identityMap.Email=email", "--map", "identityMap.ECID=ecid", "--map", "person.name=name", "--map",
            "web.cart=cart", "--frequency", "daily", "--start", "2026-11-25T06:00:00Z",
        ])
        #expect(made.exitCode == 0, "\(made.stderr)")
        let run = try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix).map(\.key)
        let csvKeys = keys.filter { $0.hasSuffix(".csv") }
        #expect(csvKeys.count == 1)
        let key = try #require(csvKeys.first)
        #expect(
            try await env.csvRows(key) == [
                ["Ann@X.io", "e-1", #"Ann, "A" Lee"#, "true"],
                ["bob@x.io", "", "Bob", ""],
            ])
    }

    /// As the reference's "deduplication based on identity namespace" example:
    /// a profile with two e-mails is two rows, one per id, with the same values;
    /// without that dedup key it is one row, with its first id.
    @Test(arguments: Backend.allCases)
    func anIdentityNamespaceAsDedupKeyExportsARowPerId(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("identity-dedup")
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try await cli.importLines([
            #"{"identityMap":{"Email":[{"id":"ann@x.io"},{"id":"Ann.Lee@Work.io"},{"id":"ANN@x.io "}]},"person":{"name":"Ann"},"tier":"gold"}"#,
            #"{"identityMap":{"ECID":[{"id":"e-9"}],"Email":[{"id":"cy@x.io"}]},"person":{"name":"Cy"},"tier":"gold"}"#,
            #"{"identityMap":{"ECID":[{"id":"e-7"}]},"person":{"name":"Dee"},"tier":"gold"}"#,
            #"{"identityMap":{"Email":[{"id":"eve@x.io"}]},"person":{"name":"Eve"},"tier":"silver"}"#,
        ])
        #expect(try await cli(["segments", "create", "gold", "--pql", #"tier = "gold""#]).exitCode == 0)
        for (name, folder) in [("per-id", "per-id/"), ("per-profile", "per-profile/")] {
            let created = try await cli([
                "destinations", "create", name, "--bucket", env.bucket, "--folder-path", prefix + folder,
            ])
            #expect(created.exitCode == 0, "\(created.stderr)")
            let dedup = name == "per-id" ? ["--dedup-key", "identityMap.Email"] : []
            let made = try await cli(
                [
                    "activations", "create", name, "--destination", name, "--segment", "gold", "--map",
                    "identityMap.Email=email", "--map", "person.name=name", "--frequency", "daily", "--start",
                    "2026-11-25T06:00:00Z",
                ] + dedup)
            #expect(made.exitCode == 0, "\(made.stderr)")
        }
        let run = try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        func exported(_ folder: String) async throws -> Set<[String]> {
            let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix + folder).map(\.key)
            let csvKeys = keys.filter { $0.hasSuffix(".csv") }
            #expect(csvKeys.count == 1)
            return try await env.csvRows(try #require(csvKeys.first))
        }
        #expect(
            try await exported("per-id/") == [
                ["ann@x.io", "Ann"], ["Ann.Lee@Work.io", "Ann"], ["cy@x.io", "Cy"], ["", "Dee"],
            ])
        #expect(try await exported("per-profile/") == [["ann@x.io", "Ann"], ["cy@x.io", "Cy"], ["", "Dee"]])
    }
}

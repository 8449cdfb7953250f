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

    /// Two profiles can hold one id in their documents when the identities-per-profile
    /// limit dropped that id's link: a later record with the id then starts a profile of
    /// its own. The id is exported once, by the profile updated last; the other row is a
    /// duplicate.
    @Test(arguments: Backend.allCases)
    func anIdOfTwoProfilesIsExportedOnceByTheLaterOne(_ backend: Backend) async throws {
        let prefix = TestEnvironment.prefix("identity-dup")
        let cli = try await WorkspaceCLI.make(environment: env.awsEnvironment(), backend: backend)
        try FileManager.default.createDirectory(atPath: cli.dir, withIntermediateDirectories: true)
        for (index, record) in [
            #"{"identityMap":{"CRM":[{"id":"c1","primary":true}],"Email":[{"id":"a@x.io"}]},"person":{"name":"One"},"tier":"gold"}"#,
            // The same record with a second e-mail: three ids against a limit of 2 drop the oldest link, a@x.io's.
            #"{"identityMap":{"CRM":[{"id":"c1","primary":true}],"Email":[{"id":"a@x.io"},{"id":"b@x.io"}]},"person":{"name":"One"},"tier":"gold"}"#,
            #"{"identityMap":{"Email":[{"id":"a@x.io","primary":true}]},"person":{"name":"Two"},"tier":"gold"}"#,
        ].enumerated() {
            let file = cli.dir + "/record-\(index).jsonl"
            try record.write(toFile: file, atomically: true, encoding: .utf8)
            let imported = try await cli(["profiles", "import", file, "--identity-limit", "2"])
            #expect(imported.exitCode == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("identity links dropped 1") == (index == 1), "\(imported.stdout)")
        }
        // a@x.io now leads to the third record's profile alone, while the first profile's document still holds it.
        #expect(try await cli(["identities", "show", "Email:a@x.io"]).stdout.contains("CRM:c1") == false)
        #expect(try await cli(["profiles", "show", "CRM:c1"]).stdout.contains("a@x.io"))
        #expect(try await cli(["segments", "create", "gold", "--pql", #"tier = "gold""#]).exitCode == 0)
        #expect(
            try await cli(["destinations", "create", "d", "--bucket", env.bucket, "--folder-path", prefix]).exitCode
                == 0)
        let made = try await cli([
            "activations", "create", "a", "--destination", "d", "--segment", "gold", "--map",
            "identityMap.Email=email", "--map", "person.name=name", "--dedup-key", "identityMap.Email", "--frequency",
            "daily", "--start", "2026-11-25T06:00:00Z",
        ])
        #expect(made.exitCode == 0, "\(made.stderr)")
        let run = try await cli(["run", "--due", "--at", "2026-11-25T06:00:00Z"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let keys = try await env.client().listObjects(bucket: env.bucket, prefix: prefix).map(\.key)
        let csvKey = try #require(keys.first { $0.hasSuffix(".csv") })
        #expect(try await env.csvRows(csvKey) == [["a@x.io", "Two"], ["b@x.io", "One"]])
        let listed = try await cli(["runs", "list", "--json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(runs.first?["excludedDuplicate"] as? Int == 1, "\(listed.stdout)")
        #expect(runs.first?["exported"] as? Int == 2, "\(listed.stdout)")
    }
}

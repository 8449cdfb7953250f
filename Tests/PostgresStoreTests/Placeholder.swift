import Testing

@testable import PostgresStore

@Test func moduleLoads() {}

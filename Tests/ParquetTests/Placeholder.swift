import Testing

@testable import Parquet

@Test func moduleLoads() {}

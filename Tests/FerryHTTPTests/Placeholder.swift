import Testing

@testable import FerryHTTP

@Test func moduleLoads() {}

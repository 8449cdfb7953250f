import Testing

@testable import OpenPGP

@Test func moduleLoads() {}

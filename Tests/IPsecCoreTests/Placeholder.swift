import Testing
@Test func placeholderIPsecCoreTests() { #expect(Bool(true)) }

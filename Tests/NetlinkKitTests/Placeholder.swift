import Testing
@Test func placeholderNetlinkKitTests() { #expect(Bool(true)) }

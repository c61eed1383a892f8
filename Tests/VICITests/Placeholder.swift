import Testing
@Test func placeholderVICITests() { #expect(Bool(true)) }

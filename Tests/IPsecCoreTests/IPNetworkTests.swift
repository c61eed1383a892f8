import PropertyBased
import Testing
@testable import IPsecCore

/// `contains` compares under the prefix without allocating; it must agree with the definition (the address
/// masked to the prefix is the network's masked address), and `overlaps` with "either contains the other".
@Suite struct IPNetworkTests {
    static func network(_ bytes: [UInt8], _ length: Int) -> IPNetwork {
        IPNetwork(address: IPAddress(bytes: bytes)!, prefixLength: length)!
    }

    @Test func containsAgreesWithMasking() async {
        let bytes = Gen.uint8().array(of: 4)
        await propertyCheck(count: 2000, input: bytes, bytes, Gen.int(in: 0...32), Gen.bool) { (a: [UInt8], b: [UInt8], length: Int, v6: Bool) in
            let x: [UInt8] = v6 ? Array([a, a, a, a].joined()) : a
            let y: [UInt8] = v6 ? Array([b, b, b, b].joined()) : b
            let width = v6 ? length * 4 : length
            let net = Self.network(x, width)
            let expected = Self.network(y, width).masked.address == net.masked.address
            #expect(net.contains(IPAddress(bytes: y)!) == expected)
            let other = Self.network(y, v6 ? (32 - length) * 4 : 32 - length)
            #expect(net.overlaps(other) == (net.contains(other.address) || other.contains(net.address)))
            #expect(net.overlaps(other) == other.overlaps(net))
        }
        #expect(!Self.network([10, 0, 0, 0], 8).contains(IPAddress("2001:db8::1")!), "families never mix")
    }

    /// The sort-and-sweep that finds overlapping networks of different tunnels finds exactly the pairs that
    /// comparing every pair finds.
    @Test func theSweepFindsExactlyThePairsThatOverlap() async {
        let item = Gen.uint8(in: 0...3).array(of: 2).map { [10, $0[0], $0[1], 0] as [UInt8] }
        await propertyCheck(count: 300, input: item.array(of: 1...12), Gen.int(in: 8...24).array(of: 12)) { addresses, lengths in
            let items = addresses.enumerated().map { index, bytes in (Self.network(bytes, lengths[index]), index % 4) }
            var expected = Set<[Int]>()
            for (i, a) in items.enumerated() {
                for b in items[(i + 1)...] where a.1 != b.1 && a.0.overlaps(b.0) { expected.insert([min(a.1, b.1), max(a.1, b.1)]) }
            }
            let found = Set(GatewayConfig.overlappingPairs(items).map { [min($0.0, $0.1), max($0.0, $0.1)] })
            #expect(found == expected, "\(items)")
        }
    }
}

/// A check that traffic really crosses the tunnel: a TCP connection attempt to an address behind the peer,
/// every `interval`. Any answer counts, a refusal (RST) included: it came back through the tunnel. Only
/// silence (no answer within the interval, at most 2 s) is a loss. TCP rather than ICMP because it needs no
/// raw socket (the container keeps only NET_ADMIN and NET_BIND_SERVICE).
public struct DataPlaneProbe: Sendable, Hashable, Encodable {
    /// Inside the tunnel's remote subnets, so the attempt is encrypted and sent to the peer.
    public var target: ListenAddress
    public var interval: Lifetime

    public init(target: ListenAddress, interval: Lifetime = Lifetime(seconds: 10)) {
        self.target = target
        self.interval = interval
    }

    /// How long one attempt may wait for an answer.
    public var timeout: Duration { .seconds(min(2, interval.seconds)) }
}

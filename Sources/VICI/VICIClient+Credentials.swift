/// charon's credential commands: certificates and private keys handed over the local socket, never
/// through a file charon reads.
extension VICIClient {
    /// What `load-cert` loads.
    public enum CertificateKind: String, Sendable {
        /// A certificate to authenticate with (or an intermediate CA's, sent along).
        case endEntity = "NONE"
        /// A CA certificate: trusted as the root of peers' chains.
        case authority = "CA"
        /// A certificate revocation list.
        case revocationList = "CRL"
    }

    /// Loads a certificate, CA certificate or CRL (`load-cert`); `pem` is its PEM (or DER) text.
    public func loadCertificate(_ pem: String, kind: CertificateKind) throws(VICIError) {
        var message = VICIMessage()
        message.append("type", kind == .revocationList ? "X509_CRL" : "X509")
        message.append("flag", kind == .revocationList ? "NONE" : kind.rawValue)
        message.append("data", pem)
        try Self.check("load-cert", try connection.request("load-cert", message))
    }

    /// Loads a private key (`load-key`, any type charon can read) and returns its identifier, the
    /// hex SHA-1 of its public key, for ``unloadKey(id:)``. The key travels only over the local socket.
    public func loadKey(_ pem: String) throws(VICIError) -> String {
        var message = VICIMessage()
        message.append("type", "any")
        message.append("data", pem)
        let answer = try connection.request("load-key", message)
        try Self.check("load-key", answer)
        return answer.string("id") ?? ""
    }

    /// Removes a key loaded with ``loadKey(_:)`` (`unload-key`).
    public func unloadKey(id: String) throws(VICIError) {
        var message = VICIMessage()
        message.append("id", id)
        try Self.check("unload-key", try connection.request("unload-key", message))
    }

    /// Removes every certificate, private key and shared key loaded over VICI, and empties charon's
    /// credential cache (`clear-creds`). VICI has no command to unload one certificate: this is how a CA
    /// stops being trusted without a restart. Established SAs are not touched.
    public func clearCredentials() throws(VICIError) {
        try Self.check("clear-creds", try connection.request("clear-creds", VICIMessage()))
    }

    /// A certificate charon holds (`list-certs`): its flag and DER bytes.
    public struct LoadedCertificate: Sendable, Hashable {
        /// `NONE`, `CA`, `AA` or `OCSP`.
        public var flag: String
        /// The certificate, DER encoded.
        public var der: [UInt8]
        /// Whether charon has its private key.
        public var hasPrivateKey: Bool

        public init(flag: String, der: [UInt8], hasPrivateKey: Bool) {
            self.flag = flag
            self.der = der
            self.hasPrivateKey = hasPrivateKey
        }
    }

    /// Every X.509 certificate charon holds (loaded, and received from peers and cached).
    public func certificates() throws(VICIError) -> [LoadedCertificate] {
        var message = VICIMessage()
        message.append("type", "X509")
        return try connection.stream("list-certs", event: "list-cert", message).events.compactMap { event in
            guard case .value(let der)? = event["data"] else { return nil }
            return LoadedCertificate(flag: event.string("flag") ?? "NONE", der: der, hasPrivateKey: event.string("has_privkey") == "yes")
        }
    }
}

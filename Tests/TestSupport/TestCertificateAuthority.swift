import Foundation

/// A throwaway CA made with openssl at test time, in a temporary folder of its own: ECDSA P-256 keys,
/// certificates for gateways with the subject and subjectAltNames a test asks for. Nothing of it is
/// committed; the folder goes with `remove()`.
public final class TestCertificateAuthority: @unchecked Sendable {
    public let folder: String
    public let name: String
    public var certificatePath: String { folder + "/ca.crt" }
    var keyPath: String { folder + "/ca.key" }
    private var serial = 1

    /// - Parameter name: the CA's common name (`CN=<name>, O=vnf-ipsec test`).
    public init(name: String = "vnf-ipsec test CA") throws {
        self.name = name
        folder = NSTemporaryDirectory() + "test-ca-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Self.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath])
        try Self.openssl(["req", "-x509", "-new", "-key", keyPath, "-sha256", "-days", "365", "-subj", "/O=vnf-ipsec test/CN=\(name)",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                          "-out", certificatePath])
    }

    /// A gateway's key (0600) and certificate signed by this CA, written to `<folder>/<label>.key|.crt`.
    /// - Parameters:
    ///   - commonName: the subject's CN (`O=vnf-ipsec test, CN=<commonName>`).
    ///   - alternativeNames: openssl's subjectAltName syntax, e.g. `DNS:gw.example.com,IP:192.0.2.1`.
    public func issue(_ label: String, commonName: String, alternativeNames: String? = nil, days: Int = 20) throws -> (certificate: String, key: String) {
        let key = folder + "/\(label).key", request = folder + "/\(label).csr", certificate = folder + "/\(label).crt"
        try Self.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
        chmod(key, 0o600)
        try Self.openssl(["req", "-new", "-key", key, "-subj", "/O=vnf-ipsec test/CN=\(commonName)", "-out", request])
        let extensions = folder + "/\(label).ext"
        var lines = ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature"]
        if let alternativeNames { lines.append("subjectAltName=\(alternativeNames)") }
        try lines.joined(separator: "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        serial += 1
        try Self.openssl(["x509", "-req", "-in", request, "-CA", certificatePath, "-CAkey", keyPath, "-set_serial", String(serial),
                          "-days", String(days), "-sha256", "-extfile", extensions, "-out", certificate])
        return (certificate, key)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: folder) }

    static func openssl(_ arguments: [String]) throws {
        let result = try Shell.run(["openssl"] + arguments)
        guard result.status == 0 else { throw ShellError(message: "openssl \(arguments.first ?? ""): \(result.output)") }
    }

    public struct ShellError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

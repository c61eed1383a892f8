import Foundation
import VICI

/// Just enough of charon's VICI socket for the Observability module's public endpoints: `version`, and
/// `list-sas` streaming one `list-sa` event per IKE_SA, `list-certs` one `list-cert` per certificate (DER);
/// each connection on a thread of its own.
final class FakeCharon: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "docs-charon-\(getpid())-\(UInt32.random(in: 0 ... .max)).vici"
    private let listener: Int32
    private let sas: [(name: String, section: VICIMessage)]
    private let certificates: [[UInt8]]

    init(sas: [(name: String, section: VICIMessage)], certificates: [[UInt8]] = []) throws {
        self.sas = sas
        self.certificates = certificates
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread { [self] in
                    serve(client)
                    Glibc.close(client)
                }.start()
            }
        }.start()
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        unlink(path)
    }

    private func serve(_ client: Int32) {
        func read(_ count: Int) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: count), have = 0
            while have < count {
                let n = buffer[have...].withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return nil }
                have += n
            }
            return buffer
        }
        func write(_ packet: VICIPacket) {
            guard let bytes = try? packet.framed() else { return }
            _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        while let header = read(4) {
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard let body = read(length), let packet = try? VICIPacket.decode(body[...]) else { return }
            switch (packet.kind, packet.name) {
            case (.eventRegister, _), (.eventUnregister, _):
                write(VICIPacket(kind: .eventConfirm))
            case (.commandRequest, "version"):
                var answer = VICIMessage()
                answer.append("daemon", "charon")
                answer.append("version", "5.9.8")
                write(VICIPacket(kind: .commandResponse, message: answer))
            case (.commandRequest, "list-sas"):
                for sa in sas {
                    var event = VICIMessage()
                    event.append(sa.name, section: sa.section)
                    write(VICIPacket(kind: .event, name: "list-sa", message: event))
                }
                write(VICIPacket(kind: .commandResponse))
            case (.commandRequest, "list-certs"):
                for der in certificates {
                    let event = VICIMessage([("type", .value(Array("X509".utf8))), ("flag", .value(Array("NONE".utf8))), ("data", .value(der))])
                    write(VICIPacket(kind: .event, name: "list-cert", message: event))
                }
                write(VICIPacket(kind: .commandResponse))
            default:
                write(VICIPacket(kind: .commandUnknown))
            }
        }
    }
}

import Foundation
import TestSupport
import VICI

/// Just enough of charon's VICI socket for the Observability module's public endpoints: `version`, and
/// `list-sas` streaming one `list-sa` event per IKE_SA, `list-certs` one `list-cert` per certificate (DER);
/// each connection on a thread of its own.
final class FakeCharon: Sendable {
    private let server: UnixSocketServer
    var path: String { server.path }

    init(sas: [(name: String, section: VICIMessage)], certificates: [[UInt8]] = []) throws {
        server = try UnixSocketServer(named: "docs-charon") { client in
            Self.serve(client, sas: sas, certificates: certificates)
        }
    }

    func close() { server.close() }

    private static func serve(_ client: UnixSocketServer.Connection, sas: [(name: String, section: VICIMessage)], certificates: [[UInt8]]) {
        func write(_ packet: VICIPacket) {
            guard let bytes = try? packet.framed() else { return }
            client.write(bytes)
        }
        while let header = client.read(exactly: 4) {
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard let body = client.read(exactly: length), let packet = try? VICIPacket.decode(body[...]) else { return }
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

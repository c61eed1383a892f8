import Foundation
import Synchronization
import Testing
import TestSupport
@testable import VICI

/// How packets are cut from what the socket delivers: many packets in one read, a packet in many reads, a
/// packet larger than the buffer, a receive that times out in the middle of a packet, and `interrupt()`.
@Suite struct VICIReceiveTests {
    /// A value shared with a thread the test starts.
    final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func get() -> Value { value.withLock { $0 } }
        func set(_ new: Value) { value.withLock { $0 = new } }
    }

    /// A `list-sa` event for SA `index`, with a value of `padding` bytes so that sizes vary.
    static func event(_ index: Int, padding: Int) throws -> [UInt8] {
        var sa = VICIMessage()
        sa.append("uniqueid", "\(index)")
        sa.append("padding", String(repeating: "x", count: padding))
        var message = VICIMessage()
        message.append("tunnel-\(index)", section: sa)
        return try VICIPacket(kind: .event, name: "list-sa", message: message).framed()
    }

    /// What charon writes for `list-sas` with `count` SAs: the registration's confirmation, the events, the
    /// response, the unregistration's confirmation. The events are 10 to ~60 kB, so some are larger than the
    /// connection's initial buffer and many cross its end.
    static func listSAsAnswer(count: Int) throws -> [UInt8] {
        var bytes = try VICIPacket(kind: .eventConfirm).framed()
        for index in 0 ..< count { bytes += try event(index, padding: index % 7 == 0 ? 60_000 : 10 + index * 37 % 1500) }
        bytes += try VICIPacket(kind: .commandResponse).framed()
        bytes += try VICIPacket(kind: .eventConfirm).framed()
        return bytes
    }

    static func checkAllReceived(_ events: [VICIMessage], count: Int) {
        #expect(events.count == count)
        for (index, event) in events.enumerated() {
            #expect(event.section("tunnel-\(index)")?.string("uniqueid") == "\(index)")
            #expect(event.section("tunnel-\(index)")?.string("padding")?.count == (index % 7 == 0 ? 60_000 : 10 + index * 37 % 1500))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func manyPacketsWrittenAtOnceAreEachReceived() throws {
        let answer = try Self.listSAsAnswer(count: 300)
        let peer = try UnixSocketServer(named: "scripted") { $0.write(answer) }
        defer { peer.close() }
        let connection = try VICIConnection(socketPath: peer.path, timeout: .seconds(10))
        let (events, _) = try connection.stream("list-sas", event: "list-sa")
        Self.checkAllReceived(events, count: 300)
    }

    @Test(.timeLimit(.minutes(1)))
    func packetsArrivingInPiecesAreReassembled() throws {
        let answer = try Self.listSAsAnswer(count: 100)
        let peer = try UnixSocketServer(named: "scripted") { client in
            var generator = SystemRandomNumberGenerator()
            var offset = 0
            while offset < answer.count {
                let piece = min(answer.count - offset, Int.random(in: 1 ... 3000, using: &generator))
                client.write(Array(answer[offset ..< offset + piece]))
                offset += piece
                if Bool.random(using: &generator) { usleep(200) }  // let the client drain the socket now and then
            }
        }
        defer { peer.close() }
        let connection = try VICIConnection(socketPath: peer.path, timeout: .seconds(20))
        let (events, _) = try connection.stream("list-sas", event: "list-sa")
        Self.checkAllReceived(events, count: 100)
    }

    /// The event listener's receive times out every few seconds; when it does in the middle of a packet, the
    /// bytes already received belong to the next receive (they used to be dropped, and the stream read from
    /// the middle of a packet afterwards).
    @Test(.timeLimit(.minutes(1)))
    func aReceiveTimingOutMidPacketKeepsWhatArrived() throws {
        let first = try Self.event(1, padding: 500), second = try Self.event(2, padding: 20)
        let released = Shared(false)
        let peer = try UnixSocketServer(named: "scripted") { client in
            client.write(Array(first[..<200]))
            while !released.get() { usleep(10_000) }
            client.write(Array(first[200...]) + second)
        }
        defer { peer.close() }
        let connection = try VICIConnection(socketPath: peer.path, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        #expect(throws: VICIError.self) { _ = try connection.receive() }
        do {
            _ = try connection.receive()
        } catch {
            guard case .io(let what) = error else { Issue.record("not an I/O error: \(error)"); return }
            #expect(what.contains("in time"), "the event listener tells a time-out from a closed socket by this")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        released.set(true)
        connection.setTimeout(.seconds(10))
        #expect(try connection.receive().message.section("tunnel-1")?.string("uniqueid") == "1")
        #expect(try connection.receive().message.section("tunnel-2")?.string("uniqueid") == "2")
    }

    @Test(.timeLimit(.minutes(1)))
    func interruptEndsAReceiveThatWaitsForever() throws {
        let peer = try UnixSocketServer(named: "scripted") { _ in }  // says nothing
        defer { peer.close() }
        let connection = try VICIConnection(socketPath: peer.path, timeout: .zero)
        let outcome = Shared<VICIError?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            do throws(VICIError) { _ = try connection.receive() } catch { outcome.set(error) }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut, "a receive without a bound returned on its own")
        connection.interrupt()
        #expect(done.wait(timeout: .now() + 5) == .success, "interrupt() did not end the receive")
        guard case .io(let what) = outcome.get() else { Issue.record("no I/O error"); return }
        #expect(what.contains("closed") && !what.contains("in time"))
    }
}

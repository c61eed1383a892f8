import Foundation
import Testing
@testable import GatewayRuntime
import IPsecCore
import VICI

@Suite struct DaemonProcessTests {
    @Test func forwardsEveryLineAndKeepsTheLastOnes() async throws {
        let seen = Locked<[String]>([])
        let daemon = try DaemonProcess(
            .init(executable: "/bin/sh", arguments: ["-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; exit 3"]),
            keepLines: 3
        ) { line in seen.withLock { $0.append(line) } }
        let status = await daemon.waitForExit()
        #expect(status == 3)
        // The pipe may still deliver its last bytes just after the exit is reported.
        for _ in 0..<100 where seen.withLock({ $0.count }) < 6 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(seen.withLock { $0 } == ["line1", "line2", "line3", "line4", "line5", "oops"])
        #expect(daemon.lastLines == ["line4", "line5", "oops"])
    }

    @Test func stopEscalatesToKillWhenTermIsIgnored() async throws {
        let daemon = try DaemonProcess(
            .init(executable: "/bin/sh", arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"])
        ) { _ in }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        let status = await daemon.stop(grace: .milliseconds(300))
        #expect(status == SIGKILL)
        // A bound for a loaded machine (it takes about 0.3 s idle), not a speed goal.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(kill(daemon.processIdentifier, 0) != 0, "the child must be gone")
    }

    @Test func passesOnlyTheGivenEnvironment() async throws {
        setenv("IPSEC_PSK", "must-not-leak-into-the-daemon", 1)
        defer { unsetenv("IPSEC_PSK") }
        let seen = Locked<[String]>([])
        let daemon = try DaemonProcess(
            .init(executable: "/usr/bin/env", environment: ["STRONGSWAN_CONF": "/run/x.conf"])
        ) { line in seen.withLock { $0.append(line) } }
        _ = await daemon.waitForExit()
        for _ in 0..<100 where seen.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(seen.withLock { $0 } == ["STRONGSWAN_CONF=/run/x.conf"])
    }

    @Test func missingExecutableSaysWhatToInstall() {
        #expect(throws: DaemonProcess.LaunchError.self) {
            try DaemonProcess(.init(executable: "/nonexistent/charon")) { _ in }
        }
    }

    @Test func lineSplitterHoldsPartialLines() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Data("ab".utf8), final: false) == [])
        #expect(splitter.feed(Data("c\nde\nf".utf8), final: false) == ["abc", "de"])
        #expect(splitter.feed(Data(), final: true) == ["f"])
    }
}

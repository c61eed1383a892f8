import Foundation
import Testing
import TestSupport
@testable import IPsecCore

/// `FileAccess.system`: any readable file read through its descriptor (a FIFO too, as upstream's
/// `source $ENVFILE` read it), the real reason when one cannot be read, and a file that can be read only
/// once never read twice.
@Suite struct FileAccessTests {
    static let tunnel = """
        IPSEC_LOCALIP=192.0.2.1
        IPSEC_LOCALID=192.0.2.1
        IPSEC_LOCALNET=198.51.100.0/24
        IPSEC_REMOTEIP=192.0.2.2
        IPSEC_REMOTEID=192.0.2.2
        IPSEC_REMOTENET=203.0.113.0/24

        """

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vnf-files-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func systemReadsAFIFOItsWriterFillsToTheEnd() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Larger than a pipe's buffer (64 KiB) and than one read: the writer waits for the reader in between.
        let text = (0..<5_000).map { "IPSEC_LINE_\($0)=value-\($0)-ünïcode\n" }.joined()
        let feed = try FIFOFeed(path: folder + "/env", text: text)
        let read = try FileAccess.system.read(feed.path)
        #expect(feed.wait() == text.utf8.count)
        #expect(read == text)
    }

    /// An IPSEC_CACERT folder is read file by file: a FIFO in it (nothing writes into it) would hold the
    /// load forever, so only its stored files are listed, links to them included.
    @Test func aFoldersFilesAreItsStoredFilesOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "ca".write(toFile: folder + "/ca.crt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/linked.crt", withDestinationPath: folder + "/ca.crt")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: false)
        try "hidden".write(toFile: folder + "/.hidden", atomically: true, encoding: .utf8)
        #expect(mkfifo(folder + "/waiting.crt", 0o600) == 0)
        #expect(FileAccess.system.folderFiles(folder) == [folder + "/ca.crt", folder + "/linked.crt"])
        #expect(FileAccess.system.folderFiles(folder + "/ca.crt") == nil)
    }

    @Test func aStreamLongerThanTheLimitIsRefusedAsTooLarge() {
        // A character device has no size to check first; the count read decides.
        #expect(throws: FileAccess.ReadError.tooLarge) { try FileAccess.system.read("/dev/zero") }
    }

    @Test func aFileThatCannotBeReadSaysTheSystemsReason() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: FileAccess.ReadError.failed(errno: EISDIR)) { try FileAccess.system.read(folder) }
        #expect(throws: FileAccess.ReadError.failed(errno: ENOENT)) { try FileAccess.system.read(folder + "/missing") }
        #expect(FileAccess.reason(FileAccess.ReadError.failed(errno: EISDIR)) == "is a directory")
        #expect(FileAccess.reason(FileAccess.ReadError.failed(errno: ENOENT)) == "no such file or directory")
        try Data([0x49, 0x50, 0x3D, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: folder + "/binary"))
        #expect(throws: FileAccess.ReadError.notUTF8) { try FileAccess.system.read(folder + "/binary") }
    }

    @Test func anEnvironmentFileAndAKeyFileThatAreFIFOsLoadAndTheKeysModeIsChecked() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = "fifo-key-0123456789abcdefghij"
        // The key's FIFO is readable by everyone: warned about, as a regular file of that mode is.
        let keyFeed = try FIFOFeed(path: folder + "/psk", mode: 0o644, text: key + "\n")
        let envFeed = try FIFOFeed(path: folder + "/env", text: Self.tunnel + "IPSEC_PSK_FILE=\(folder)/psk\n")
        let loaded = try GatewayConfig.load(environment: ["ENVFILE": envFeed.path], files: .system)
        #expect(envFeed.wait() != nil && keyFeed.wait() != nil)
        #expect(loaded.tunnel.psk?.secret == key)
        #expect(loaded.tunnel.localNets.map(\.description) == ["198.51.100.0/24"])
        #expect(loaded.warnings.contains { $0.variable == "IPSEC_PSK_FILE" && $0.message.contains("readable by everyone (mode 644)") }, "\(loaded.warnings)")
    }

    @Test func aFileTwoTunnelsNameIsReadOnceInALoading() throws {
        let yaml = """
            tunnels:
              - {name: east, localip: 192.0.2.1, localnet: 192.0.2.0/24, remoteip: 198.51.100.1, remotenet: 10.1.0.0/16, psk_file: /keys/shared}
              - {name: west, localip: 192.0.2.1, localnet: 192.0.2.0/24, remoteip: 198.51.100.2, remotenet: 10.2.0.0/16, psk_file: /keys/shared}

            """
        let files = InitLoadingTests.CountedFiles(["/etc/gw/gateway.yaml": yaml, "/keys/shared": "shared-key-0123456789abcdefgh\n"])
        let loaded = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/etc/gw/gateway.yaml"], files: files.access)
        #expect(loaded.config.tunnels.map { $0.psk?.secret } == ["shared-key-0123456789abcdefgh", "shared-key-0123456789abcdefgh"])
        #expect(files.reads == ["/etc/gw/gateway.yaml": 1, "/keys/shared": 1], "a FIFO read a second time waits for a writer that is gone")
    }

    /// What `run` reads with: a reload reuses what a FIFO held at start, and reads edited files again.
    @Test func readingStreamsOnceReusesAFIFOAndRereadsAFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "first-key-0123456789abcdefghij\n".write(toFile: folder + "/psk", atomically: true, encoding: .utf8)
        chmod(folder + "/psk", 0o600)
        let feed = try FIFOFeed(path: folder + "/env", text: Self.tunnel + "IPSEC_PSK_FILE=\(folder)/psk\n")
        #expect(FileAccess.isStream(atPath: feed.path) && !FileAccess.isStream(atPath: folder + "/psk"))
        #expect(!FileAccess.isStream(atPath: folder + "/missing"))
        let files = FileAccess.system.readingEachFileOnce(where: FileAccess.isStream(atPath:))
        let atStart = try GatewayConfig.load(environment: ["ENVFILE": feed.path], files: files)
        #expect(feed.wait() != nil)
        try "second-key-0123456789abcdefghij\n".write(toFile: folder + "/psk", atomically: true, encoding: .utf8)
        chmod(folder + "/psk", 0o600)
        // No writer any more: reading the FIFO again would wait for ever.
        let reloaded = try GatewayConfig.load(environment: ["ENVFILE": feed.path], files: files)
        #expect(atStart.tunnel.psk?.secret == "first-key-0123456789abcdefghij")
        #expect(reloaded.tunnel.psk?.secret == "second-key-0123456789abcdefghij")
        #expect(reloaded.tunnel.remoteNets == atStart.tunnel.remoteNets)
    }
}

import IPsecCore
import VICI
import Foundation
import SystemPackage

/// An exclusive `flock` on a file next to charon's VICI socket, held for as long as the gateway runs. The
/// kernel drops it when the process ends in any way, so a crash never leaves a stale lock behind, and the
/// descriptor is close-on-exec, so charon cannot inherit it and keep it after we are gone.
public final class InstanceLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock or throws ``GatewayError/notStarted(_:)`` naming the process that holds it.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .noFollow, .closeOnExec],
                                           permissions: [.ownerReadWrite])
        } catch {
            throw GatewayError.notStarted("cannot open the instance lock \(path): \(error)")
        }
        let fd = file.rawValue
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR  // flock is not in swift-system
        guard result == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            try? file.close()
            throw GatewayError.notStarted(
                "another vnf-ipsec run (pid \(holder.isEmpty ? "?" : holder)) already owns charon's socket here (\(path)); not starting a second gateway")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = try? file.writeAll(Array(pid.utf8))
        descriptor = fd
    }

    deinit { close(descriptor) }
}

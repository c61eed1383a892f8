import IPsecCore
import VICI
import Foundation
import SystemPackage

/// Writes rendered files to disk with the modes they ask for.
public enum ConfigurationFiles {
    /// Why a file could not be written: the path and the system's reason, in words.
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes every file into `folder` (created 0700 if missing). The folder must be a real directory owned
    /// by this user and writable by nobody else: in a folder others may write, they could swap a file
    /// for a link between our checks and our writes. Each file is written to a new temporary file with a
    /// random name (`O_CREAT|O_EXCL|O_NOFOLLOW` through swift-system, the final mode from the start, so a secret is never briefly
    /// readable) and renamed over the target, which replaces a link rather than following it.
    public static func write(_ files: [RenderedFile], into folder: String) throws(WriteError) {
        try ensureSafeFolder(folder)
        for file in files {
            let path = folder + "/" + file.path
            let temporary = folder + "/." + file.path + "." + randomSuffix()
            do {
                let descriptor = try FileDescriptor.open(
                    FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                    permissions: FilePermissions(rawValue: CModeT(file.mode)))
                try descriptor.closeAfter {
                    _ = try descriptor.writeAll(Array(file.contents.utf8))
                    // The umask may have narrowed the mode; set it exactly.
                    guard fchmod(descriptor.rawValue, mode_t(file.mode)) == 0 else { throw Errno(rawValue: errno) }
                }
                guard rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
            } catch {
                unlink(temporary)
                throw WriteError(path: path, reason: (error as? Errno)?.description ?? "\(error)")
            }
        }
    }

    /// Creates `folder` (0700) or checks the existing one: a directory, not a link, ours, not writable by
    /// group or others.
    static func ensureSafeFolder(_ folder: String) throws(WriteError) {
        var info = stat()
        if lstat(folder, &info) != 0 {
            guard errno == ENOENT else { throw WriteError(path: folder, reason: lastError()) }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw WriteError(path: folder, reason: "cannot create the folder (\(error.localizedDescription))")
            }
            guard lstat(folder, &info) == 0 else { throw WriteError(path: folder, reason: lastError()) }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WriteError(path: folder, reason: (info.st_mode & S_IFMT) == S_IFLNK ? "is a symbolic link; give the real folder" : "is not a folder")
        }
        guard info.st_uid == geteuid() else {
            throw WriteError(path: folder, reason: "belongs to uid \(info.st_uid), not to this user (uid \(geteuid())); write into a folder of your own")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw WriteError(path: folder, reason: "is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); use a folder only you can write")
        }
    }

    private static func randomSuffix() -> String {
        (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16).leftPadded(to: 2) }.joined()
    }

    private static func lastError() -> String { Errno(rawValue: errno).description }
}

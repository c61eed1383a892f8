import Foundation

/// Writes rendered files to disk with the modes they ask for.
public enum ConfigurationFiles {
    /// Writes every file into `folder` (created if needed, 0755). Files holding secrets are created with mode
    /// 0600 from the start (never briefly world-readable) and replaced atomically.
    public static func write(_ files: [RenderedFile], into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            let path = folder + "/" + file.path
            let temporary = path + ".tmp-\(getpid())"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(file.mode))
            guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
            let bytes = Array(file.contents.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    close(fd)
                    unlink(temporary)
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
                }
                written += n
            }
            // The umask may have narrowed the mode; set it exactly.
            fchmod(fd, mode_t(file.mode))
            close(fd)
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
    }
}

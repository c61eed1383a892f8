import Foundation
import SystemPackage

/// A file's whole text read through its descriptor: open, read until end of file, close. Unlike
/// Foundation's readers it does not ask the file to be a regular one, so a pipe or FIFO (bash's
/// `<(…)`, a secret written into a FIFO) reads like any file; swift-system retries a call EINTR
/// interrupted.
enum FileContents {
    /// The text of the file at `path`, refused once it is longer than `limit` bytes (a pipe has no size
    /// to check beforehand, so the count is what decides). Opening a FIFO waits for its writer.
    ///
    /// - Throws: ``FileAccess/ReadError``: `.failed` with the errno of open or read, `.tooLarge`, `.notUTF8`.
    static func read(_ path: String, limit: Int) throws(FileAccess.ReadError) -> String {
        let bytes: [UInt8]
        do {
            let file = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
            bytes = try file.closeAfter { try readToEnd(file, limit: limit) }
        } catch let error as Errno {
            throw .failed(errno: error.rawValue)
        } catch let error as FileAccess.ReadError {
            throw error
        } catch {
            throw .failed(errno: Errno.ioError.rawValue)
        }
        // Foundation's decoding, as before: a leading byte order mark is not part of the text.
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw .notUTF8 }
        return text
    }

    private static func readToEnd(_ file: FileDescriptor, limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > limit { throw FileAccess.ReadError.tooLarge }
        }
    }
}

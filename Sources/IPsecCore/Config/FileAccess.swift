import Foundation
import Synchronization

/// How the configuration's files are read (ENVFILE, the configuration file, key files): the system's files
/// by default, anything in tests. Reading files is all the model does outside itself.
public struct FileAccess: Sendable {
    /// The file's text (UTF-8).
    public var read: @Sendable (String) throws -> String
    /// The file's permission bits, or nil when they cannot be known.
    public var permissions: @Sendable (String) -> UInt16?
    /// The paths of the stored files in a folder (links followed; hidden entries such as Kubernetes'
    /// `..data`, folders and streams left out; sorted), or nil when the path is not a folder.
    public var folderFiles: @Sendable (String) -> [String]?

    public init(read: @escaping @Sendable (String) throws -> String, permissions: @escaping @Sendable (String) -> UInt16? = { _ in nil },
                folderFiles: @escaping @Sendable (String) -> [String]? = { _ in nil }) {
        self.read = read
        self.permissions = permissions
        self.folderFiles = folderFiles
    }

    /// Files larger than this are not configuration: refused as soon as more was read (a pipe has no size
    /// to check beforehand), never read whole.
    public static let maximumBytes = 16 << 20

    /// The system's files. A file is read through its descriptor until its end, so any readable file works:
    /// a regular file, a Kubernetes Secret's symlink, and also a pipe or FIFO (bash's `ENVFILE=<(…)`, a
    /// secret a process writes into a FIFO), whose opening waits for its writer as upstream's
    /// `source $ENVFILE` did, and which gives its text only once (see ``readingEachFileOnce(where:)``).
    /// `read` throws ``ReadError``.
    public static let system = FileAccess(
        read: { path in try FileContents.read(path, limit: maximumBytes) },
        permissions: { path in
            // Of the file itself after following links: Kubernetes mounts a Secret's keys as symlinks.
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber).map { UInt16(truncating: $0) }
        },
        folderFiles: { path in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
            // Regular files only: a FIFO among them would hold the read of the folder until some process
            // wrote into it, and a socket or device is no certificate.
            return names.filter { !$0.hasPrefix(".") }.sorted().map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }.filter { file in
                var status = stat()
                return stat(file, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
            }
        })

    /// The same files, each read at most once: a later read of a path answers what the first one did (its
    /// text or its error). Two loadings through it see the same files, even when one changes in between
    /// or can be read only once (a pipe, such as bash's `ENVFILE=<(…)`).
    ///
    /// - Parameter readOnce: which paths are read once; the others are read each time (`run` keeps only
    ///   streams, ``isStream(atPath:)``, so a reload still sees its edited files).
    public func readingEachFileOnce(where readOnce: @escaping @Sendable (String) -> Bool = { _ in true }) -> FileAccess {
        let read = self.read
        let answers = Mutex<[String: Result<String, any Error>]>([:])
        return FileAccess(read: { path in
            guard readOnce(path) else { return try read(path) }
            if let answer = answers.withLock({ $0[path] }) { return try answer.get() }
            // Read outside the lock: a slow file must not hold up another path. Two first reads of one
            // path at once would both read; loading reads one file at a time.
            let answer = Result { try read(path) }
            answers.withLock { $0[path] = $0[path] ?? answer }
            return try answer.get()
        }, permissions: permissions, folderFiles: folderFiles)
    }

    /// Whether `path` (links followed) is a stream rather than a stored file: a pipe (bash's `<(…)`), a
    /// FIFO, a socket or a character device. What a stream gives can be read once: reading it again waits
    /// for another writer or gives something else, and it has no contents to compare. False when the
    /// path cannot be looked at (a missing file is not a stream).
    public static func isStream(atPath path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return [S_IFIFO, S_IFSOCK, S_IFCHR].contains(status.st_mode & S_IFMT)
    }

    /// A read error in words, without Foundation's domain and code ("NSCocoaErrorDomain Code=257").
    static func reason(_ error: any Error) -> String {
        if let error = error as? ReadError { return error.description }
        guard let error = error as? CocoaError else { return "\(error)" }
        switch error.code {
        case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
        case .fileReadNoPermission: return "permission denied"
        case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: return "not UTF-8 text"
        case .fileReadTooLarge: return "too large"
        default:
            if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
            return error.localizedDescription
        }
    }
}

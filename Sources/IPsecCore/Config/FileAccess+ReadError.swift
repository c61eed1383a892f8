import SystemPackage

extension FileAccess {
    /// Why ``FileAccess/system`` could not give a file's text.
    public enum ReadError: Error, Equatable, Sendable, CustomStringConvertible {
        /// open(2) or read(2) failed with this errno (no such file, permission denied, is a directory…).
        case failed(errno: Int32)
        /// Longer than ``FileAccess/maximumBytes``: not configuration.
        case tooLarge
        /// Not UTF-8 text.
        case notUTF8

        /// In words, for "cannot be read (…)": the system's own text for an errno, so a file that is
        /// missing, a folder or not permitted says which.
        public var description: String {
            switch self {
            case .failed(let errno):
                let text = Errno(rawValue: errno).description
                return text.prefix(1).lowercased() + text.dropFirst()
            case .tooLarge: return "too large"
            case .notUTF8: return "not UTF-8 text"
            }
        }
    }
}

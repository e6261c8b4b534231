import Foundation

/// An error reading, writing or converting an array file.
///
/// `description` is always `"<file>: <problem>"`, where `file` is the last path component of the
/// file (or the name passed to a `decode` function) and `problem` says in plain words what is wrong,
/// e.g. `weights.safetensors: tensor "w" has data_offsets [0, 40] (40 bytes) but shape [3, 4] of F32 needs 48 bytes`.
public struct FileFormatError: Error, CustomStringConvertible, Equatable, LocalizedError {
    /// What sort of problem this is.
    public enum Kind: String, Sendable, Equatable {
        /// The bytes do not follow the format (truncated, bad magic, inconsistent header, …).
        case malformed
        /// The bytes are well-formed but use a feature this library does not read (e.g. an unknown dtype).
        case unsupported
        /// A value cannot be converted to the requested element type without changing it.
        case lossyConversion
        /// The request does not fit the data: an inconsistent array or unusable name handed to a
        /// writer, or `ArrayFile.readSingle` on a file that does not hold exactly one array.
        case invalidArgument
        /// The file system refused a read or write.
        case io
    }

    /// The file (last path component) or array the problem is about.
    public var file: String
    /// The problem, in plain words.
    public var problem: String
    /// The sort of problem.
    public var kind: Kind

    /// An error about `file` (its last path component or an array's name) with `problem` in plain words.
    public init(file: String, problem: String, kind: Kind = .malformed) {
        self.file = file
        self.problem = problem
        self.kind = kind
    }

    /// `"<file>: <problem>"`.
    public var description: String { "\(file): \(problem)" }

    /// The same text as ``description``, for `LocalizedError` (what `localizedDescription` shows).
    public var errorDescription: String? { description }
}

extension FileFormatError {
    static func malformed(_ file: String, _ problem: String) -> FileFormatError {
        FileFormatError(file: file, problem: problem, kind: .malformed)
    }

    static func unsupported(_ file: String, _ problem: String) -> FileFormatError {
        FileFormatError(file: file, problem: problem, kind: .unsupported)
    }

    static func invalidArgument(_ file: String, _ problem: String) -> FileFormatError {
        FileFormatError(file: file, problem: problem, kind: .invalidArgument)
    }

    /// The same error with `context` put in front of the problem, reported against `file`.
    func nested(in file: String, context: String) -> FileFormatError {
        FileFormatError(file: file, problem: "\(context): \(problem)", kind: kind)
    }
}

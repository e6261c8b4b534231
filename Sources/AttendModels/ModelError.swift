import Foundation

/// A model folder that cannot be used: missing, incomplete, or with a file that does not say
/// what the loader needs. The message names the folder, the file and the problem, and — for a
/// missing model — the command that fetches it.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong with the folder.
    public enum Kind: Sendable, Equatable {
        /// The folder does not exist.
        case missingDirectory
        /// A required file is not in the folder.
        case missingFile(String)
        /// A file is present but unusable (bad JSON, a missing key, a tensor of the wrong shape…).
        case invalidFile(String)
    }

    /// What is wrong: ``Kind/missingDirectory``, ``Kind/missingFile(_:)`` or ``Kind/invalidFile(_:)``.
    public let kind: Kind
    /// The model folder's path.
    public let directory: String
    /// The message: the folder, the file and the problem, and for a missing model the fetch command.
    public let description: String

    /// `directory` is the folder's path (or what an in-memory folder is called).
    init(_ kind: Kind, directory: String, model: String = "minilm", _ detail: String = "") {
        self.kind = kind
        self.directory = directory
        let fetch = ModelCache.fetchCommand(for: model)
        switch kind {
        case .missingDirectory:
            description = "model: no model folder at \(directory); fetch it with `\(fetch)` (or pass --model DIR)"
        case .missingFile(let file):
            description =
                "model: \(directory) has no \(file)\(detail.isEmpty ? "" : " (\(detail))"); "
                + "the folder is incomplete — fetch it again with `\(fetch)`"
        case .invalidFile(let file):
            description = "model: \(directory)/\(file): \(detail)"
        }
    }
}

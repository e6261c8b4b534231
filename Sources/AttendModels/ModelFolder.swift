import Foundation

/// A model folder — on disk, or its files held in memory — and the reading of its small files:
/// every failure is a ``ModelError`` naming the folder and the file.
struct ModelFolder: Sendable {
    /// The folder on disk (unused for an in-memory folder).
    let url: URL
    /// What messages call the folder: its path, or ``inMemoryName``.
    let path: String
    /// The cache name used in messages (`minilm` → `python3 scripts/fetch_model.py minilm`).
    let model: String
    /// The files of an in-memory folder (name → bytes); nil for a folder on disk.
    private let contents: [String: Data]?

    /// What messages call an in-memory folder.
    static let inMemoryName = "(in-memory model files)"

    /// - Throws: ``ModelError/Kind/missingDirectory`` when `url` is not a directory.
    init(_ url: URL, model: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError(.missingDirectory, directory: url.path, model: model)
        }
        self.url = url
        path = url.path
        self.model = model
        contents = nil
    }

    /// A folder whose files are `files` (name → bytes), read from memory, never from disk.
    init(files: [String: Data], model: String) {
        url = URL(fileURLWithPath: "/")
        path = Self.inMemoryName
        self.model = model
        contents = files
    }

    /// The path of a file of a folder on disk (an in-memory folder has none: use ``data(_:)``).
    func file(_ name: String) -> URL {
        precondition(contents == nil, "ModelFolder.file: \(name) of \(path) has no path on disk")
        return url.appendingPathComponent(name)
    }

    func has(_ name: String) -> Bool {
        contents.map { $0[name] != nil }
            ?? FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path)
    }

    func missing(_ name: String, _ detail: String = "") -> ModelError {
        ModelError(.missingFile(name), directory: path, model: model, detail)
    }

    func invalid(_ name: String, _ detail: String) -> ModelError {
        ModelError(.invalidFile(name), directory: path, model: model, detail)
    }

    /// The bytes of a required file.
    func data(_ name: String) throws -> Data {
        guard has(name) else { throw missing(name) }
        if let bytes = contents?[name] { return bytes }
        do {
            return try Data(contentsOf: url.appendingPathComponent(name), options: .mappedIfSafe)
        } catch {
            throw invalid(name, "cannot be read: \(error.localizedDescription)")
        }
    }

    /// A required JSON file whose top level is an object.
    func jsonObject(_ name: String) throws -> [String: Any] {
        let bytes = try data(name)
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw invalid(name, "is not a JSON object")
        }
        return object
    }

    /// An optional JSON file (nil when absent).
    func optionalJSONObject(_ name: String) throws -> [String: Any]? {
        has(name) ? try jsonObject(name) : nil
    }

    /// sentence-transformers' `max_seq_length` from `sentence_bert_config.json` (tokens per
    /// sequence including `[CLS]`/`[SEP]`), or nil when the folder has no such file — the length
    /// both the tokenizer and the model configuration take from it.
    func sentenceTransformersMaxSequenceLength() throws -> Int? {
        let file = "sentence_bert_config.json"
        guard let object = try optionalJSONObject(file) else { return nil }
        return try JSONFields(object: object, file: file, folder: self).int("max_seq_length")
    }
}

/// Typed access to a JSON object's keys, with errors naming the file and the key.
struct JSONFields {
    let object: [String: Any]
    let file: String
    let folder: ModelFolder

    func int(_ key: String) throws -> Int {
        guard let value = object[key] as? NSNumber, let int = Int(exactly: value.doubleValue) else {
            throw folder.invalid(
                file, "needs an integer \"\(key)\" (has: \(object.keys.sorted().joined(separator: ", ")))")
        }
        return int
    }

    func optionalInt(_ key: String) throws -> Int? {
        object[key] == nil || object[key] is NSNull ? nil : try int(key)
    }

    func double(_ key: String) throws -> Double {
        guard let value = object[key] as? NSNumber else {
            throw folder.invalid(file, "needs a number \"\(key)\"")
        }
        return value.doubleValue
    }

    func string(_ key: String) throws -> String {
        guard let value = object[key] as? String else {
            throw folder.invalid(file, "needs a string \"\(key)\"")
        }
        return value
    }

    func optionalBool(_ key: String) -> Bool? {
        (object[key] as? Bool) ?? (object[key] as? NSNumber).map(\.boolValue)
    }

    func optionalString(_ key: String) -> String? { object[key] as? String }
}

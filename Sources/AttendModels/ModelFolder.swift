import Foundation

/// A model folder on disk and the reading of its small files: every failure is a ``ModelError``
/// naming the folder and the file.
struct ModelFolder: Sendable {
    let url: URL
    /// The cache name used in messages (`minilm` → `python3 scripts/fetch_model.py minilm`).
    let model: String

    /// - Throws: ``ModelError/Kind/missingDirectory`` when `url` is not a directory.
    init(_ url: URL, model: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError(.missingDirectory, directory: url, model: model)
        }
        self.url = url
        self.model = model
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }

    func missing(_ name: String, _ detail: String = "") -> ModelError {
        ModelError(.missingFile(name), directory: url, model: model, detail)
    }

    func invalid(_ name: String, _ detail: String) -> ModelError {
        ModelError(.invalidFile(name), directory: url, model: model, detail)
    }

    /// The bytes of a required file.
    func data(_ name: String) throws -> Data {
        guard has(name) else { throw missing(name) }
        do {
            return try Data(contentsOf: file(name), options: .mappedIfSafe)
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

import AttendModels
import Foundation
import Testing

/// A scratch model folder holding symlinks to some of the real model's files.
private struct ScratchFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-model-\(UUID().uuidString)")

    init(linking files: [String]) throws {
        let source = try MiniLMModel.requireDirectory()
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.createSymbolicLink(
                at: url.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
        }
    }

    func write(_ file: String, _ text: String) throws {
        try text.write(to: url.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

private let smallFiles = [
    "vocab.txt", "tokenizer.json", "tokenizer_config.json", "config.json", "1_Pooling/config.json",
    "sentence_bert_config.json", "modules.json",
]

@Suite("bad or missing model folders give errors naming the file and the fetch script")
struct ModelFolderErrorTests {
    @Test("a folder that does not exist names the fetch command")
    func missingFolder() {
        let url = URL(fileURLWithPath: "/nonexistent/attend/minilm")
        let error = #expect(throws: ModelError.self) { try SentenceEmbedder(directory: url) }
        #expect(error?.kind == .missingDirectory)
        #expect(error?.description.contains("scripts/fetch_model.py minilm") == true)
    }

    @Test("a folder without model.safetensors names that file and the fetch script")
    func missingWeights() throws {
        let folder = try ScratchFolder(linking: smallFiles)
        defer { folder.remove() }
        let error = #expect(throws: ModelError.self) { try SentenceEmbedder(directory: folder.url) }
        #expect(error?.kind == .missingFile("model.safetensors"))
        #expect(error?.description.contains("scripts/fetch_model.py minilm") == true)
    }

    @Test("a folder without vocab.txt names vocab.txt")
    func missingVocabulary() throws {
        let folder = try ScratchFolder(linking: smallFiles.filter { $0 != "vocab.txt" })
        defer { folder.remove() }
        let error = #expect(throws: ModelError.self) { try BertTokenizer(directory: folder.url) }
        #expect(error?.kind == .missingFile("vocab.txt"))
    }

    @Test("config.json without hidden_size, or a truncated weights file, is an invalid-file error")
    func invalidFiles() throws {
        let folder = try ScratchFolder(linking: smallFiles.filter { $0 != "config.json" })
        defer { folder.remove() }
        try folder.write("config.json", #"{"model_type": "bert", "num_hidden_layers": 6}"#)
        let config = #expect(throws: ModelError.self) { try BertConfiguration(directory: folder.url) }
        #expect(config?.kind == .invalidFile("config.json"))
        #expect(config?.description.contains("hidden_size") == true)

        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("config.json"))
        try FileManager.default.createSymbolicLink(
            at: folder.url.appendingPathComponent("config.json"),
            withDestinationURL: MiniLMModel.directory.appendingPathComponent("config.json"))
        let weights = try Data(contentsOf: MiniLMModel.directory.appendingPathComponent("model.safetensors")).prefix(
            4096)
        try weights.write(to: folder.url.appendingPathComponent("model.safetensors"))
        let truncated = #expect(throws: ModelError.self) { try SentenceEmbedder(directory: folder.url) }
        #expect(truncated?.kind == .invalidFile("model.safetensors"))
    }

    @Test("a config.json that does not match the weights names the tensor")
    func mismatchedConfiguration() throws {
        let folder = try ScratchFolder(linking: smallFiles.filter { $0 != "config.json" } + ["model.safetensors"])
        defer { folder.remove() }
        let real = try String(contentsOf: MiniLMModel.directory.appendingPathComponent("config.json"), encoding: .utf8)
        try folder.write(
            "config.json",
            real.replacingOccurrences(of: "\"intermediate_size\": 1536", with: "\"intermediate_size\": 1024"))
        let error = #expect(throws: ModelError.self) { try SentenceEmbedder(directory: folder.url) }
        #expect(error?.kind == .invalidFile("model.safetensors"))
        #expect(error?.description.contains("intermediate.dense.weight") == true)
    }

    @Test("in-memory tokenizer files without vocab.txt, or with an empty one, name vocab.txt and the in-memory folder")
    func inMemoryVocabulary() {
        let config = ["tokenizer_config.json": Data("{}".utf8)]
        let missing = #expect(throws: ModelError.self) { try BertTokenizer(files: config) }
        #expect(missing?.kind == .missingFile("vocab.txt"))
        #expect(missing?.directory == "(in-memory model files)")
        var files = config
        files["vocab.txt"] = Data()
        let empty = #expect(throws: ModelError.self) { try BertTokenizer(files: files) }
        #expect(empty?.kind == .invalidFile("vocab.txt"))
        #expect(empty?.description == "model: (in-memory model files)/vocab.txt: is empty")
    }
}

@Suite("the model cache follows scripts/fetch_model.py's rule")
struct ModelCacheTests {
    @Test("ATTEND_CACHE wins, else ~/.cache/attend/models/<name>")
    func rule() {
        #expect(
            ModelCache.directory(for: "minilm", environment: ["ATTEND_CACHE": "/tmp/c", "HOME": "/h"]).path
                == "/tmp/c/models/minilm")
        #expect(
            ModelCache.directory(for: "minilm", environment: ["ATTEND_CACHE": "", "HOME": "/h"]).path
                == "/h/.cache/attend/models/minilm")
        #expect(
            ModelCache.directory(for: "smollm2", environment: ["HOME": "/h"]).path == "/h/.cache/attend/models/smollm2")
    }
}

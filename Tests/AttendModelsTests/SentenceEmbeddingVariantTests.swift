import Attend
import AttendModels
import AttendReference
import AttendVerification
import Foundation
import Testing

/// Another sentence-transformers BERT folder than all-MiniLM-L6-v2's own configuration: a copy of
/// its folder with CLS pooling, no Normalize module and the tanh GELU (`gelu_new`, which the
/// packed plan does not run, so each sentence runs layer by layer) — checked against the Double
/// reference encoder (AttendReference) built from the same weights.
@Suite("Sentence-transformers folder variants", .serialized)
struct SentenceEmbeddingVariantTests {
    /// A copy of the MiniLM folder with `1_Pooling/config.json`, `modules.json` and `config.json` edited.
    static func variantFolder(cls: Bool, normalize: Bool, activation: String) throws -> URL {
        let source = try MiniLMModel.requireDirectory()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "attend-minilm-variant-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "1_Pooling" {
            try FileManager.default.createSymbolicLink(
                at: folder.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        let pooling = folder.appendingPathComponent("1_Pooling", isDirectory: true)
        try FileManager.default.createDirectory(at: pooling, withIntermediateDirectories: true)
        try Data(
            """
            {"word_embedding_dimension": 384, "pooling_mode_cls_token": \(cls), "pooling_mode_mean_tokens": \(!cls),
             "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}
            """.utf8
        ).write(to: pooling.appendingPathComponent("config.json"))
        var modules =
            try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("modules.json")))
            as! [[String: Any]]
        if !normalize { modules.removeAll { ($0["type"] as? String)?.hasSuffix("Normalize") == true } }
        try replace(folder, "modules.json", with: JSONSerialization.data(withJSONObject: modules))
        var config =
            try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as! [String: Any]
        config["hidden_act"] = activation
        try replace(folder, "config.json", with: JSONSerialization.data(withJSONObject: config))
        return folder
    }

    private static func replace(_ folder: URL, _ name: String, with data: Data) throws {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.removeItem(at: url)
        try data.write(to: url)
    }

    /// The reference encoder's last hidden states `[L, E]` for one sequence, in Double.
    static func referenceHidden(_ encoder: BertEncoder, ids: [Int], activation: ReferenceActivation) throws
        -> ReferenceArray<Double>
    {
        let e = encoder.configuration.hiddenSize
        let word = encoder.wordEmbeddings.scalars
        let position = encoder.positionEmbeddings.scalars
        let type = encoder.tokenTypeEmbeddings.scalars
        var sums: [Double] = []
        for (t, id) in ids.enumerated() {
            for j in 0..<e { sums.append(Double(word[id * e + j]) + Double(position[t * e + j]) + Double(type[j])) }
        }
        var x = try Reference.layerNorm(
            ReferenceArray(shape: [1, ids.count, e], values: sums), normalizedDims: 1,
            weight: encoder.embeddingNorm.weight.map {
                ReferenceArray(shape: [e], values: $0.scalars.map(Double.init))
            },
            bias: encoder.embeddingNorm.bias.map { ReferenceArray(shape: [e], values: $0.scalars.map(Double.init)) },
            eps: encoder.configuration.layerNormEps)
        for layer in encoder.layers {
            x = try Reference.transformerEncoderLayer(
                x, weights: layer.referenceWeights(Double.self), activation: activation, normFirst: false,
                eps: encoder.configuration.layerNormEps)
        }
        return x
    }

    @Test(
        "CLS pooling, no Normalize module and the tanh GELU (run layer by layer): the embedding is within 1e-4 of the Double reference"
    )
    func variant() throws {
        // Mean pooling with Normalize and the erf GELU, on the packed plan, is the fixture test's.
        let folder = try Self.variantFolder(cls: true, normalize: false, activation: "gelu_new")
        defer { try? FileManager.default.removeItem(at: folder) }
        let embedder = try SentenceEmbedder(directory: folder)
        #expect(embedder.encoder.configuration.pooling == .cls)
        #expect(!embedder.encoder.configuration.normalize)
        #expect(embedder.encoder.packed == nil)
        let text = "A man is playing a guitar."
        let got = try embedder.embed(text)
        let hidden = try Self.referenceHidden(
            embedder.encoder, ids: embedder.tokenizer.encode(text), activation: .geluTanh)
        // CLS pooling without Normalize: the first token's hidden state as it is.
        let expected = Array(hidden.values.prefix(embedder.dimension))
        let worst = zip(got, expected).map { abs(Double($0) - $1) }.max()!
        #expect(got.count == expected.count && worst <= 1e-4, "max |Δ| \(worst)")
    }
}

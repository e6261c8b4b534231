import Attend
import Foundation

/// The shape of a BERT sentence-embedding model, read from its folder:
///
/// - `config.json` — `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
///   `intermediate_size`, `hidden_act` (`gelu` = erf GELU, `gelu_new`/`gelu_pytorch_tanh` = tanh
///   GELU, `relu`), `layer_norm_eps`, `max_position_embeddings`, `type_vocab_size`,
///   `vocab_size`; `model_type` must be `bert` and `position_embedding_type` absolute;
/// - `1_Pooling/config.json` — the pooling mode (mean or CLS);
/// - `sentence_bert_config.json` — `max_seq_length`;
/// - `modules.json` — whether a `Normalize` module follows (L2 normalization).
public struct BertConfiguration: Sendable, Equatable {
    /// How token states `[L, E]` become one sentence vector `[E]`.
    public enum Pooling: String, Sendable {
        /// The mean over the tokens the attention mask keeps: Σᵢ mᵢ·hᵢ / Σᵢ mᵢ.
        case mean
        /// The state of the first token, `[CLS]`: h₀.
        case cls
    }

    /// E, the width of every token state (`hidden_size`); E = heads · head dim.
    public var hiddenSize: Int
    /// The number of encoder layers (`num_hidden_layers`).
    public var layerCount: Int
    /// H, the attention heads per layer (`num_attention_heads`); E/H is the head dim.
    public var headCount: Int
    /// F, the feed-forward width (`intermediate_size`): each layer maps E → F → E.
    public var intermediateSize: Int
    /// The feed-forward nonlinearity (`hidden_act`).
    public var activation: Activation
    /// ε of every LayerNorm: (x − μ)/√(σ² + ε) (`layer_norm_eps`).
    public var layerNormEps: Double
    /// Rows of the absolute position-embedding table (`max_position_embeddings`).
    public var maxPositions: Int
    /// Rows of the token-type (segment) embedding table (`type_vocab_size`, default 2).
    public var typeVocabularySize: Int
    /// Rows of the word-embedding table (`vocab_size`); every token id is < this.
    public var vocabularySize: Int
    /// The pooling mode of `1_Pooling/config.json`.
    public var pooling: Pooling
    /// Whether the pooled vector is divided by its L2 norm (a `Normalize` module in `modules.json`).
    public var normalize: Bool
    /// Tokens per sequence including `[CLS]`/`[SEP]`: `min(max_seq_length, max_position_embeddings)`.
    public var maxSequenceLength: Int

    /// Reads the configuration from a sentence-transformers model folder (the files listed above).
    /// - Throws: ``ModelError`` naming the file and key that is missing or unsupported.
    public init(directory: URL, model: String = "minilm") throws {
        try self.init(folder: ModelFolder(directory, model: model))
    }

    init(folder: ModelFolder) throws {
        let file = "config.json"
        let c = JSONFields(object: try folder.jsonObject(file), file: file, folder: folder)
        if let type = c.optionalString("model_type"), type != "bert" {
            throw folder.invalid(file, "model_type \"\(type)\" is not bert")
        }
        if let positions = c.optionalString("position_embedding_type"), positions != "absolute" {
            throw folder.invalid(file, "position_embedding_type \"\(positions)\" is not supported (only absolute)")
        }
        hiddenSize = try c.int("hidden_size")
        layerCount = try c.int("num_hidden_layers")
        headCount = try c.int("num_attention_heads")
        intermediateSize = try c.int("intermediate_size")
        layerNormEps = try c.double("layer_norm_eps")
        maxPositions = try c.int("max_position_embeddings")
        typeVocabularySize = try c.optionalInt("type_vocab_size") ?? 2
        vocabularySize = try c.int("vocab_size")
        switch c.optionalString("hidden_act") ?? "gelu" {
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
        case "relu": activation = .relu
        case let other: throw folder.invalid(file, "hidden_act \"\(other)\" is not supported (gelu, gelu_new, relu)")
        }
        guard hiddenSize > 0, layerCount > 0, headCount > 0, hiddenSize % headCount == 0, intermediateSize > 0,
            maxPositions > 0
        else {
            throw folder.invalid(
                file,
                "hidden_size \(hiddenSize) must be a positive multiple of num_attention_heads \(headCount), "
                    + "and num_hidden_layers \(layerCount), intermediate_size \(intermediateSize), max_position_embeddings \(maxPositions) positive"
            )
        }

        let poolingFile = "1_Pooling/config.json"
        if let p = try folder.optionalJSONObject(poolingFile) {
            let f = JSONFields(object: p, file: poolingFile, folder: folder)
            if f.optionalBool("pooling_mode_mean_tokens") == true {
                pooling = .mean
            } else if f.optionalBool("pooling_mode_cls_token") == true {
                pooling = .cls
            } else {
                throw folder.invalid(poolingFile, "only mean-token or CLS pooling is supported")
            }
            if let width = try f.optionalInt("word_embedding_dimension"), width != hiddenSize {
                throw folder.invalid(
                    poolingFile, "word_embedding_dimension \(width) differs from hidden_size \(hiddenSize)")
            }
        } else {
            pooling = .mean
        }

        maxSequenceLength = min(try folder.sentenceTransformersMaxSequenceLength() ?? maxPositions, maxPositions)

        if folder.has("modules.json") {
            guard
                let modules = (try? JSONSerialization.jsonObject(with: folder.data("modules.json"))) as? [[String: Any]]
            else {
                throw folder.invalid("modules.json", "is not a JSON array of modules")
            }
            normalize = modules.contains { ($0["type"] as? String)?.hasSuffix(".Normalize") == true }
        } else {
            normalize = true
        }
    }
}

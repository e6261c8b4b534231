import Attend
import Foundation

/// Sentence embeddings from a sentence-transformers BERT folder (all-MiniLM-L6-v2 and others in
/// the same layout):
///
///     ids  = BertTokenizer(text)                        [CLS] … [SEP], ≤ maxSequenceLength
///     H    = BertEncoder(ids)                           [B, L, E]
///     e    = Σ_{t < len} H[t] / len                     mean over the real tokens (or H[0] for CLS pooling)
///     e   /= ‖e‖₂                                       when the folder has a Normalize module
///
/// Batching: texts are tokenized, sorted by length (stably) and cut into batches of
/// `batchSize`, so each batch pads only to its own longest sequence; results come back in input
/// order. A text's embedding does not depend on what it is batched with, to within
/// ``batchInvarianceBound`` per component (not bitwise: padding changes the length of the
/// vectorized softmax row sums, whose summation order follows the row length).
public struct SentenceEmbedder: Sendable {
    /// Text → `[CLS] … [SEP]` ids (the folder's `vocab.txt` and `tokenizer_config.json`).
    public let tokenizer: BertTokenizer
    /// ids `[B, L]` → hidden states `[B, L, E]` (the folder's weights).
    public let encoder: BertEncoder
    /// The folder the model was loaded from.
    public let directory: URL

    /// The largest difference, per embedding component, between a text embedded alone and in
    /// any batch (measured ≤ 1.5e-7 on all-MiniLM-L6-v2 with batches padded up to 256 tokens; tested).
    public static let batchInvarianceBound: Float = 1e-6

    /// Loads a model folder: the tokenizer files, `config.json` and friends, `model.safetensors`.
    /// - Parameters:
    ///   - directory: the sentence-transformers folder (`config.json`, `vocab.txt`, `model.safetensors` …).
    ///   - model: the cache name used in messages about a missing folder.
    /// - Throws: ``ModelError`` naming the folder, the file and the fetch command.
    public init(directory: URL, model: String = "minilm") throws {
        let configuration = try BertConfiguration(directory: directory, model: model)
        var tokenizerConfiguration = try TokenizerConfiguration(directory: directory, model: model)
        tokenizerConfiguration.maxLength = min(tokenizerConfiguration.maxLength, configuration.maxSequenceLength)
        guard tokenizerConfiguration.tokens.count <= configuration.vocabularySize else {
            throw ModelError(
                .invalidFile("vocab.txt"), directory: directory.path, model: model,
                "has \(tokenizerConfiguration.tokens.count) tokens but config.json's vocab_size is \(configuration.vocabularySize)"
            )
        }
        tokenizer = BertTokenizer(configuration: tokenizerConfiguration)
        encoder = try BertEncoder(directory: directory, configuration: configuration, model: model)
        self.directory = directory
    }

    /// Loads model `name` from the cache (``ModelCache``).
    /// - Throws: ``ModelError`` when the model's folder or one of its files is missing or unusable
    ///   (the message says how to fetch it).
    public init(cached name: String = "minilm") throws {
        try self.init(directory: ModelCache.directory(for: name), model: name)
    }

    /// The embedding width E.
    public var dimension: Int { encoder.configuration.hiddenSize }

    /// One embedding per text, in input order.
    /// - Parameters:
    ///   - texts: the texts; each becomes `[CLS] … [SEP]`, truncated to the tokenizer's `maxLength`.
    ///   - batchSize: texts per encoder call (after sorting by length).
    ///   - progress: called after each batch with the number of texts done so far.
    /// - Throws: `TensorError` when `batchSize` is not positive.
    public func embed(_ texts: [String], batchSize: Int = 32, progress: ((Int) -> Void)? = nil) throws -> [[Float]] {
        try embed(tokenized: texts.map(tokenizer.encode), batchSize: batchSize, progress: progress)
    }

    /// One embedding for one text.
    /// - Throws: `TensorError` from the encoder's ops (not expected for tokenizer output).
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }

    /// Embeddings of already tokenized sequences (each `[CLS] … [SEP]`), in input order.
    /// - Throws: `TensorError` when `batchSize` is not positive, or from the encoder's ops when a
    ///   sequence does not fit the model (longer than its position table).
    public func embed(tokenized sequences: [[Int]], batchSize: Int = 32, progress: ((Int) -> Void)? = nil) throws
        -> [[Float]]
    {
        guard batchSize > 0 else {
            throw TensorError(op: "SentenceEmbedder", "batchSize must be positive, got \(batchSize)")
        }
        let order = sequences.indices.sorted { (sequences[$0].count, $0) < (sequences[$1].count, $1) }
        var result = [[Float]](repeating: [], count: sequences.count)
        var done = 0
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let batch = members.map { sequences[$0] }
            let hidden = try encoder(batch)  // [B, L, E]
            for (row, vector) in pooled(hidden, lengths: batch.map(\.count)).enumerated() {
                result[members[row]] = vector
            }
            done += members.count
            progress?(done)
        }
        return result
    }

    /// Mean (or CLS) pooling over each row's real tokens, in Double, then L2 normalization.
    func pooled(_ hidden: Tensor<Float>, lengths: [Int]) -> [[Float]] {
        let (l, e) = (hidden.shape[1], hidden.shape[2])  // hidden [B, L, E]
        let configuration = encoder.configuration
        return hidden.withUnsafeBufferPointer { h in
            lengths.enumerated().map { row, length in
                var sum = [Double](repeating: 0, count: e)
                let count = configuration.pooling == .cls ? 1 : length
                for t in 0..<count {
                    let base = (row * l + t) * e
                    for j in 0..<e { sum[j] += Double(h[base + j]) }
                }
                var norm = 1.0
                if configuration.normalize {
                    norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if norm == 0 { norm = 1 }
                } else {
                    norm = Double(count)
                }
                return sum.map { Float($0 / norm) }  // the mean's 1/len cancels in the norm
            }
        }
    }
}

import Attend
import Foundation
import Synchronization

/// Sentence embeddings from a sentence-transformers BERT folder (all-MiniLM-L6-v2 and others in
/// the same layout):
///
///     ids  = BertTokenizer(text)                        [CLS] … [SEP], ≤ maxSequenceLength
///     H    = BertEncoder(ids)                           [B, L, E]
///     e    = Σ_{t < len} H[t] / len                     mean over the real tokens (or H[0] for CLS pooling)
///     e   /= ‖e‖₂                                       when the folder has a Normalize module
///
/// Batching: texts are tokenized and cut, in input order, into batches of at most
/// ``defaultBatchTokens`` tokens (or the `batchTokens` given; a longer text forms its own batch).
/// A batch runs packed, without padding (``BertEncoder/encode(packed:in:output:)``), in a
/// workspace the embedder keeps for its next call. A text's embedding does not depend on what it
/// is batched with, to within ``batchInvarianceBound`` per component.
public struct SentenceEmbedder: Sendable {
    /// Text → `[CLS] … [SEP]` ids (the folder's `vocab.txt` and `tokenizer_config.json`).
    public let tokenizer: BertTokenizer
    /// ids `[B, L]` → hidden states `[B, L, E]` (the folder's weights).
    public let encoder: BertEncoder
    /// The folder the model was loaded from.
    public let directory: URL
    /// Workspaces of finished calls, reused by the next ones (one per concurrent call).
    private let workspaces = WorkspacePool()

    /// Tokens per encoder batch unless a call says otherwise: enough rows for the GEMMs to run at
    /// full speed (1,000 mixed sentences take the same time with budgets of 1,024 to 8,192 tokens,
    /// AMD EPYC Zen 3, 2 threads), and a workspace of 2048 × (6E + F) floats — 31 MB for
    /// all-MiniLM-L6-v2.
    public static let defaultBatchTokens = 2048

    /// The largest difference, per embedding component, between a text embedded alone and in
    /// any batch (a batch moves only the GEMMs' row partition; tested).
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
    ///   - batchTokens: the most tokens per encoder call (a longer text runs alone).
    ///   - progress: called after each batch with the number of texts done so far.
    /// - Throws: `TensorError` when `batchTokens` is not positive.
    public func embed(
        _ texts: [String], batchTokens: Int = defaultBatchTokens, progress: ((Int) -> Void)? = nil
    ) throws -> [[Float]] {
        try embed(tokenized: texts.map(tokenizer.encode), batchTokens: batchTokens, progress: progress)
    }

    /// One embedding for one text.
    /// - Throws: `TensorError` from the encoder's ops (not expected for tokenizer output).
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }

    /// Embeddings of already tokenized sequences (each `[CLS] … [SEP]`), in input order.
    /// - Throws: `TensorError` when `batchTokens` is not positive, or from the encoder when a
    ///   sequence does not fit the model (empty, longer than its position table, or an id outside
    ///   its vocabulary).
    public func embed(
        tokenized sequences: [[Int]], batchTokens: Int = defaultBatchTokens, progress: ((Int) -> Void)? = nil
    ) throws -> [[Float]] {
        guard batchTokens > 0 else {
            throw TensorError(op: "SentenceEmbedder", "batchTokens must be positive, got \(batchTokens)")
        }
        let workspace = workspaces.take()
        defer { workspaces.put(workspace) }
        var result: [[Float]] = []
        result.reserveCapacity(sequences.count)
        var start = 0
        while start < sequences.count {
            var end = start + 1
            var tokens = sequences[start].count
            while end < sequences.count, tokens + sequences[end].count <= batchTokens {
                tokens += sequences[end].count
                end += 1
            }
            let batch = Array(sequences[start..<end])
            try encoder.encode(packed: batch, in: workspace) { hidden, packing in
                for s in 0..<packing.count {
                    result.append(pooled(hidden, rows: packing.rows(of: s)))
                }
            }
            start = end
            progress?(end)
        }
        return result
    }

    /// Mean (or CLS) pooling over one sequence's rows of the packed hidden states `[T, E]`, in
    /// Double, then L2 normalization when the folder has a Normalize module.
    func pooled(_ hidden: UnsafeBufferPointer<Float>, rows: Range<Int>) -> [Float] {
        let e = encoder.configuration.hiddenSize
        let configuration = encoder.configuration
        var sum = [Double](repeating: 0, count: e)
        let count = configuration.pooling == .cls ? 1 : rows.count
        for row in rows.prefix(count) {
            let base = row * e
            for j in 0..<e { sum[j] += Double(hidden[base + j]) }
        }
        var norm: Double
        if configuration.normalize {
            norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm == 0 { norm = 1 }
        } else {
            norm = Double(count)
        }
        return sum.map { Float($0 / norm) }  // the mean's 1/len cancels in the norm
    }
}

/// Workspaces kept between calls: a call takes one (or makes one) and puts it back.
final class WorkspacePool: Sendable {
    private let free = Mutex<[EncoderWorkspace]>([])

    func take() -> EncoderWorkspace { free.withLock { $0.popLast() } ?? EncoderWorkspace() }

    func put(_ workspace: EncoderWorkspace) { free.withLock { $0.append(workspace) } }
}

import Attend
import Foundation

/// A BERT encoder built from Attend's layers, with Hugging Face `BertModel` weights:
///
///     x₀ = LayerNorm(E_word[ids] + E_pos[0..<L] + E_type[0])                 // [B, L, E]
///     xᵢ = TransformerEncoderLayer(post-norm)(xᵢ₋₁, keyPadding)               // [B, L, E]
///        = LayerNorm₂(h + W₂·act(W₁·h)),  h = LayerNorm₁(x + MHA(x, x, x))
///
/// Weight names (with an optional `bert.` prefix) map onto the layers:
///
///     embeddings.{word,position,token_type}_embeddings.weight   the three tables
///     embeddings.LayerNorm.{weight,bias}                        embeddingNorm
///     encoder.layer.N.attention.self.{query,key,value}.*        layers[N].selfAttention q/k/v
///     encoder.layer.N.attention.output.dense.*                  layers[N].selfAttention out
///     encoder.layer.N.attention.output.LayerNorm.*              layers[N].norm1
///     encoder.layer.N.intermediate.dense.*                      layers[N].feedForward.linear1
///     encoder.layer.N.output.dense.*                            layers[N].feedForward.linear2
///     encoder.layer.N.output.LayerNorm.*                        layers[N].norm2
///
/// `embeddings.position_ids` and `pooler.*` are not used for sentence embeddings; any other
/// entry is an error, as is a missing one.
public struct BertEncoder: Sendable {
    /// The shapes this encoder was built for (from `config.json`).
    public let configuration: BertConfiguration
    /// Row `id` is token `id`'s embedding: `[vocab, E]`.
    public let wordEmbeddings: Tensor<Float>  // [vocab, E]
    /// Row `i` is added at position `i`: `[maxPositions, E]`.
    public let positionEmbeddings: Tensor<Float>  // [maxPositions, E]
    /// Row `t` is added for segment `t` (Attend feeds segment 0): `[types, E]`.
    public let tokenTypeEmbeddings: Tensor<Float>  // [types, E]
    /// The LayerNorm over word + position + type embeddings, before the first layer.
    public let embeddingNorm: LayerNorm<Float>
    /// The post-norm encoder layers, applied in order: `[L, E]` → `[L, E]` each.
    public let layers: [TransformerEncoderLayer<Float>]
    /// The same layers planned over packed sequences (no padding, fused row passes), or nil for a
    /// configuration the plan does not run (the tanh GELU), which then runs layer by layer.
    public let packed: PackedEncoder?

    /// Loads `model.safetensors` of a model folder whose `config.json` is `configuration`.
    /// - Throws: ``ModelError`` naming the missing, unexpected or mis-shaped tensor.
    public init(directory: URL, configuration: BertConfiguration, model: String = "minilm") throws {
        let folder = try ModelFolder(directory, model: model)
        let file = "model.safetensors"
        guard folder.has(file) else { throw folder.missing(file) }
        let arrays: [String: ArrayData]
        do {
            arrays = try SafeTensors.read(contentsOf: folder.file(file))
        } catch {
            throw folder.invalid(file, "\(error)")
        }
        try self.init(arrays: arrays, configuration: configuration, folder: folder)
    }

    init(arrays: [String: ArrayData], configuration c: BertConfiguration, folder: ModelFolder) throws {
        let file = "model.safetensors"
        let prefix = arrays["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        var used: Set<String> = []
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor<Float> {
            guard let array = arrays[prefix + name] else {
                throw folder.invalid(file, "has no tensor \(prefix + name)")
            }
            guard array.shape == shape else {
                throw folder.invalid(
                    file, "tensor \(prefix + name) has shape \(array.shape) but config.json implies \(shape)")
            }
            used.insert(prefix + name)
            do {
                return try Tensor<Float>(array, name: "\(file) [\(prefix + name)]")
            } catch {
                throw folder.invalid(file, "\(error)")
            }
        }
        let (e, f) = (c.hiddenSize, c.intermediateSize)
        do {
            wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [c.vocabularySize, e])
            positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [c.maxPositions, e])
            tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, e])
            func norm(_ name: String) throws -> LayerNorm<Float> {
                try LayerNorm(
                    normalizedShape: [e], eps: c.layerNormEps, weight: tensor(name + ".weight", [e]),
                    bias: tensor(name + ".bias", [e]))
            }
            func dense(_ name: String, out: Int, in width: Int) throws -> Linear<Float> {
                try Linear(weight: tensor(name + ".weight", [out, width]), bias: tensor(name + ".bias", [out]))
            }
            embeddingNorm = try norm("embeddings.LayerNorm")
            var layers: [TransformerEncoderLayer<Float>] = []
            for n in 0..<c.layerCount {
                let p = "encoder.layer.\(n)."
                let (q, k, v) = try (
                    dense(p + "attention.self.query", out: e, in: e), dense(p + "attention.self.key", out: e, in: e),
                    dense(p + "attention.self.value", out: e, in: e)
                )
                let out = try dense(p + "attention.output.dense", out: e, in: e)
                let attention = try MultiHeadAttention(
                    numHeads: c.headCount, qWeight: q.weight, kWeight: k.weight, vWeight: v.weight,
                    qBias: q.bias, kBias: k.bias, vBias: v.bias, outWeight: out.weight, outBias: out.bias)
                let feedForward = try FeedForward(
                    linear1: dense(p + "intermediate.dense", out: f, in: e),
                    linear2: dense(p + "output.dense", out: e, in: f),
                    activation: c.activation)
                layers.append(
                    try TransformerEncoderLayer(
                        selfAttention: attention, feedForward: feedForward,
                        norm1: norm(p + "attention.output.LayerNorm"), norm2: norm(p + "output.LayerNorm"),
                        normFirst: false))
            }
            self.layers = layers
            packed = c.activation == .geluTanh ? nil : try PackedEncoder(layers)
        } catch let error as ModelError {
            throw error
        } catch {
            throw folder.invalid(file, "\(error)")
        }
        let ignored = arrays.keys.filter { name in
            let local = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
            return local == "embeddings.position_ids" || local.hasPrefix("pooler.") || !name.hasPrefix(prefix)
        }
        let unexpected = Set(arrays.keys).subtracting(used).subtracting(ignored).sorted()
        guard unexpected.isEmpty else {
            throw folder.invalid(
                file,
                "has tensors a \(c.layerCount)-layer BERT does not use: \(unexpected.prefix(5).joined(separator: ", "))"
                    + (unexpected.count > 5 ? " … (\(unexpected.count) in all)" : "")
                    + "; does config.json match the weights?")
        }
        configuration = c
    }

    /// The last hidden states of a batch of token id sequences, padded on the right to the
    /// longest one; padded keys are masked out of attention (their own rows are computed but
    /// meaningless).
    ///
    /// - Parameter sequences: B sequences of ids, each 1…`maxPositions` long.
    /// - Returns: `[B, L, E]` with L the longest sequence.
    /// - Throws: `TensorError` for an empty sequence, one longer than the position table, or an
    ///   id outside the vocabulary.
    public func callAsFunction(_ sequences: [[Int]]) throws -> Tensor<Float> {
        var (x, mask) = try embedded(sequences)  // [B, L, E], padding of [B, L]
        for layer in layers {
            x = try layer(x, mask: mask)  // [B, L, E]
        }
        return x
    }

    /// The last hidden states of a batch of token id sequences packed along the token axis (no
    /// padding): `output` receives `[T, E]`, row `offsets[s] + t` holding token t of sequence s,
    /// with T = Σ lengths. Runs the planned layers (`PackedEncoder`) in `workspace`, or, for a
    /// configuration the plan does not run, each sequence layer by layer.
    ///
    /// - Parameters:
    ///   - sequences: B sequences of ids, each 1…`maxPositions` long.
    ///   - workspace: the buffers to run in (reused across calls; one call at a time).
    ///   - output: reads the hidden states `[T, E]` (valid only during the call) and the packing.
    /// - Returns: what `output` returns.
    /// - Throws: `TensorError` for an empty sequence, one longer than the position table, or an
    ///   id outside the vocabulary; what `output` throws.
    public func encode<Result>(
        packed sequences: [[Int]], in workspace: EncoderWorkspace,
        output: (UnsafeBufferPointer<Float>, PackedSequences) throws -> Result
    ) throws -> Result {
        try validate(sequences)
        let packing = try PackedSequences(lengths: sequences.map(\.count))
        let e = configuration.hiddenSize
        guard let packed else {
            var rows: [Float] = []
            rows.reserveCapacity(packing.tokenCount * e)
            for ids in sequences {
                let hidden = try self([ids])  // [1, L, E]
                hidden.withUnsafeBufferPointer { rows.append(contentsOf: $0) }
            }
            return try rows.withUnsafeBufferPointer { try output($0, packing) }
        }
        return try packed.encode(
            packing, in: workspace,
            input: { hidden in
                // x₀[r] = word[id] + position[t] + type[0] for row r = offsets[s] + t, then LayerNorm.
                var row = 0
                for ids in sequences {
                    for (t, id) in ids.enumerated() {
                        sumEmbeddings(id: id, position: t, into: hidden.baseAddress! + row * e)
                        row += 1
                    }
                }
                try embeddingNorm.normalizeRows(hidden)
            },
            output: { try output($0, packing) })
    }

    /// out[j] = word[id, j] + position[t, j] + type[0, j] (left to right) for j < E.
    private func sumEmbeddings(id: Int, position t: Int, into out: UnsafeMutablePointer<Float>) {
        let e = configuration.hiddenSize
        wordEmbeddings.withUnsafeBufferPointer { word in
            positionEmbeddings.withUnsafeBufferPointer { position in
                tokenTypeEmbeddings.withUnsafeBufferPointer { type in
                    let (w, p) = (id * e, t * e)
                    for j in 0..<e { out[j] = word[w + j] + position[p + j] + type[j] }
                }
            }
        }
    }

    /// Checks what ``callAsFunction(_:)`` and ``encode(packed:in:output:)`` accept.
    private func validate(_ sequences: [[Int]]) throws {
        let op = "BertEncoder"
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw TensorError(
                op: op, "needs at least one sequence and every sequence at least one token ([CLS] … [SEP])")
        }
        let l = sequences.map(\.count).max() ?? 0
        guard l <= configuration.maxPositions else {
            throw TensorError(
                op: op, "a sequence of \(l) tokens exceeds max_position_embeddings \(configuration.maxPositions)")
        }
        let vocabulary = configuration.vocabularySize
        if let bad = sequences.lazy.flatMap({ $0 }).first(where: { !(0..<vocabulary).contains($0) }) {
            throw TensorError(op: op, "token id \(bad) is outside the vocabulary 0..<\(vocabulary)")
        }
    }

    /// The encoder's input: the normalized embedding sum `x₀` of the padded batch `[B, L, E]`,
    /// and the key-padding mask the layers apply (`.none` when no sequence is padded).
    /// - Throws: `TensorError` as ``callAsFunction(_:)``.
    func embedded(_ sequences: [[Int]]) throws -> (Tensor<Float>, AttentionMask<Float>) {
        try validate(sequences)
        let e = configuration.hiddenSize
        let b = sequences.count
        let l = sequences.map(\.count).max() ?? 0
        // Embedding sum, gathered row by row: x[b, t] = word[id] + pos[t] + type[0].
        var summed = [Float](repeating: 0, count: b * l * e)  // [B, L, E]
        summed.withUnsafeMutableBufferPointer { x in
            for (row, ids) in sequences.enumerated() {
                for t in 0..<l {
                    sumEmbeddings(
                        id: t < ids.count ? ids[t] : ids[ids.count - 1], position: t,
                        into: x.baseAddress! + (row * l + t) * e)
                }
            }
        }
        let x = try embeddingNorm(Tensor(shape: [b, l, e], scalars: summed))  // [B, L, E]
        let padded = sequences.contains { $0.count < l }
        let mask: AttentionMask<Float> =
            padded
            ? .keyPadding(
                try BoolTensor(shape: [b, l], elements: sequences.flatMap { ids in (0..<l).map { $0 >= ids.count } }))
            : .none  // [B, L], true = padding
        return (x, mask)
    }
}

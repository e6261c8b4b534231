import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run` for attention: sdpa, mha, encoder-layer.

/// The masks an attention command was given, checked against the scores' shape by the engine's
/// rule (``AttentionMask/validate(scoresShape:op:)``) and combined into one ``AttentionMask``.
struct AttentionMaskArguments {
    var causal = false
    var mask: (file: InputFile, value: UserMask)?
    var keyPadding: (file: InputFile, value: BoolTensor)?

    /// Reads `--mask` and `--key-padding-mask` (when given) and checks each against scores
    /// `[batch…, Lq, Lk]` (unless `scoresShape` is nil), a failure naming the argument — before
    /// either backend runs, so both report the same message.
    init(
        causal: Bool, mask: String?, keyPadding: String?, scoresShape: @autoclosure () throws -> [Int]?, op: String,
        session: RunSession
    ) throws {
        self.causal = causal
        if let mask {
            let file = InputFile("--mask", mask)
            self.mask = (file, try session.loader.attentionMask(file))
        }
        if let keyPadding {
            let file = InputFile("--key-padding-mask", keyPadding)
            self.keyPadding = (file, try session.loader.boolMask(file))
        }
        guard let scoresShape = try scoresShape() else { return }
        if let (file, value) = self.mask {
            try session.attributing(to: file.label) {
                try value.attentionMask(Float.self).validate(scoresShape: scoresShape, op: op)
            }
        }
        if let (file, value) = self.keyPadding {
            try session.attributing(to: file.label) {
                try AttentionMask<Float>.keyPadding(value).validate(scoresShape: scoresShape, op: op)
            }
        }
    }

    /// The label of the arguments a failure after validation is attributed to.
    var label: String? {
        let labels = [mask?.file.label, keyPadding?.file.label].compactMap { $0 }
        return labels.isEmpty ? nil : labels.joined(separator: ", ")
    }

    /// `.causal`, the file mask and `.keyPadding` as one mask in `S`.
    func attentionMask<S: TensorScalar>(_: S.Type) -> AttentionMask<S> {
        var masks: [AttentionMask<S>] = []
        if causal { masks.append(.causal) }
        if let mask { masks.append(mask.value.attentionMask(S.self)) }
        if let keyPadding { masks.append(.keyPadding(keyPadding.value)) }
        switch masks.count {
        case 0: return .none
        case 1: return masks[0]
        default: return .all(masks)
        }
    }

    var engineMask: AttentionMask<Float> { attentionMask(Float.self) }

    /// The same mask for the reference, its additive values exact in Double.
    var referenceMask: ReferenceMask<Double> { attentionMask(Double.self).reference(Double.self) }
}

struct RunSDPA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdpa",
        abstract: "Scaled dot-product attention: softmax(Q·Kᵀ·scale + mask)·V.",
        discussion: """
            attend run sdpa --query q.npy --key k.npy --value v.npy [--mask m.npy] \\
                [--causal] [--scale s] --output out.npy [--attention-weights w.npy]

            query [..., Lq, Dk], key [..., Lk, Dk], value [..., Lk, Dv] → output [..., Lq, Dv]; batch dimensions broadcast; the scale defaults to 1/√Dk.

            --mask: a bool array means True = MAY attend (PyTorch's scaled_dot_product_attention); a float array is added to the scaled scores (-inf masks). It must broadcast to the scores [..., Lq, Lk].
            --causal: query i sees keys 0…i (top-left aligned, also when Lq ≠ Lk).
            --key-padding-mask: bool [B, Lk], True = IGNORE that key.
            Masks combine (an entry is masked if any mask masks it). A query whose keys are all masked gets zero weights and a zero output (PyTorch gives NaN).
            --attention-weights also writes the weights [..., Lq, Lk].
            """)

    @Option(help: ArgumentHelp("Queries [..., Lq, Dk].", valueName: "q.npy")) var query: String
    @Option(help: ArgumentHelp("Keys [..., Lk, Dk].", valueName: "k.npy")) var key: String
    @Option(help: ArgumentHelp("Values [..., Lk, Dv].", valueName: "v.npy")) var value: String
    @Option(
        help: ArgumentHelp(
            "Bool (True = may attend) or float (added) mask, broadcastable to [..., Lq, Lk].", valueName: "m.npy"))
    var mask: String?
    @Flag(help: "Causal mask: query i attends keys 0…i.") var causal = false
    @Option(
        name: .customLong("key-padding-mask"),
        help: ArgumentHelp("Bool [B, Lk], True = ignore that key.", valueName: "p.npy"))
    var keyPaddingMask: String?
    @Option(parsing: .unconditional, help: "Multiplies Q·Kᵀ (default 1/√Dk).") var scale: Double?
    @Option(
        name: .customLong("attention-weights"),
        help: ArgumentHelp("Also write the weights [..., Lq, Lk].", valueName: "w.npy"))
    var attentionWeights: String?
    @OptionGroup var heatmap: HeatmapOptions
    @OptionGroup var options: RunOptions

    func run() throws {
        let extra = attentionWeights.map { [OutputFile(option: "--attention-weights", path: $0)] } ?? []
        let session = try RunSession(op: "sdpa", options: options, extraOutputs: extra + heatmap.outputs)
        let (qFile, kFile, vFile) = (InputFile("--query", query), InputFile("--key", key), InputFile("--value", value))
        let qkvLabel = "\(qFile.label), \(kFile.label), \(vFile.label)"
        let wantsWeights = attentionWeights != nil || heatmap.isRequested
        let causal = causal
        let scale = scale

        /// Checks q, k, v with the engine's shape rules (same message on both backends) and
        /// returns the scores' shape.
        func scoresShape(_ q: [Int], _ k: [Int], _ v: [Int]) throws -> [Int] {
            try session.attributing(to: qkvLabel) {
                let plan = try scaledDotProductAttentionPlan(
                    queries: TensorLayout(contiguous: q), keys: TensorLayout(contiguous: k),
                    values: TensorLayout(contiguous: v),
                    mask: AttentionMask<Float>.none)
                return plan.intermediates.first?.shape ?? []
            }
        }
        func masks(_ q: [Int], _ k: [Int], _ v: [Int]) throws -> AttentionMaskArguments {
            try AttentionMaskArguments(
                causal: causal, mask: mask, keyPadding: keyPaddingMask, scoresShape: try scoresShape(q, k, v),
                op: "scaledDotProductAttention", session: session)
        }
        try session.run(
            heatmap: heatmap, op: "sdpa",
            blas: {
                let q = try session.loader.floatTensor(qFile)
                let k = try session.loader.floatTensor(kFile)
                let v = try session.loader.floatTensor(vFile)
                let masks = try masks(q.shape, k.shape, v.shape)
                let result = try session.attributing(to: masks.label ?? qkvLabel) {
                    try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: masks.engineMask, scale: scale.map { Float($0) },
                        returnWeights: wantsWeights)
                }
                return [result.output] + (wantsWeights ? [result.weights!] : [])
            },
            reference: {
                let q = try session.loader.doubleArray(qFile)
                let k = try session.loader.doubleArray(kFile)
                let v = try session.loader.doubleArray(vFile)
                let masks = try masks(q.shape, k.shape, v.shape)
                let result = try session.attributing(to: masks.label ?? qkvLabel) {
                    try Reference.scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: masks.referenceMask, scale: scale)
                }
                return [result.output] + (wantsWeights ? [result.weights] : [])
            })
    }
}

struct RunMHA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mha",
        abstract: "Multi-head attention with nn.MultiheadAttention's weights (batch-first, eval mode).",
        discussion: """
            attend run mha --query q.npy --key k.npy --value v.npy \\
                --weights w.safetensors --num-heads H [--causal] \\
                [--key-padding-mask p.npy] --output out.npy [--attention-weights w.npy]

            query [B, Lq, E], key [B, Lk, kdim], value [B, Lk, vdim] → output [B, Lq, E] (batch-first, eval mode).

            --weights: .safetensors or .npz with nn.MultiheadAttention's state_dict names: in_proj_weight [3E, E] (or q_proj_weight, k_proj_weight, v_proj_weight when kdim or vdim differ from E), in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E].
            --key-padding-mask: bool [B, Lk], True = IGNORE that key (as PyTorch).
            --mask: bool with True = MAY attend, or float added to the scores, broadcastable to [B, H, Lq, Lk]. Note that nn.MultiheadAttention's bool attn_mask means the opposite (True = masked): pass ~attn_mask.
            --attention-weights: the weights averaged over heads [B, Lq, Lk] (PyTorch's default), or [B, H, Lq, Lk] with --per-head.
            Passing one file as --query, --key and --value runs self-attention with one fused QKV GEMM.
            """)

    @Option(help: ArgumentHelp("Queries [B, Lq, E].", valueName: "q.npy")) var query: String
    @Option(help: ArgumentHelp("Keys [B, Lk, kdim].", valueName: "k.npy")) var key: String
    @Option(help: ArgumentHelp("Values [B, Lk, vdim].", valueName: "v.npy")) var value: String
    @Option(help: ArgumentHelp("state_dict (.safetensors or .npz).", valueName: "w.safetensors")) var weights: String
    @Option(name: .customLong("num-heads"), help: "Number of heads H.") var numHeads: Int
    @Flag(help: "Causal mask: query i attends keys 0…i.") var causal = false
    @Option(
        name: .customLong("key-padding-mask"),
        help: ArgumentHelp("Bool [B, Lk], True = ignore that key.", valueName: "p.npy"))
    var keyPaddingMask: String?
    @Option(
        help: ArgumentHelp(
            "Bool (True = may attend) or float (added) mask, broadcastable to [B, H, Lq, Lk].", valueName: "m.npy"))
    var mask: String?
    @Option(
        name: .customLong("attention-weights"),
        help: ArgumentHelp("Also write the attention weights.", valueName: "w.npy"))
    var attentionWeights: String?
    @Flag(name: .customLong("per-head"), help: "Write per-head weights [B, H, Lq, Lk] instead of their average.")
    var perHead = false
    @OptionGroup var heatmap: HeatmapOptions
    @OptionGroup var options: RunOptions

    func run() throws {
        let extra = attentionWeights.map { [OutputFile(option: "--attention-weights", path: $0)] } ?? []
        let session = try RunSession(op: "mha", options: options, extraOutputs: extra + heatmap.outputs)
        let (qFile, kFile, vFile) = (InputFile("--query", query), InputFile("--key", key), InputFile("--value", value))
        let weightsFile = InputFile("--weights", weights)
        let layerLabel = "\(weightsFile.label) (--num-heads \(numHeads))"
        let qkvLabel = "\(qFile.label), \(kFile.label), \(vFile.label)"
        // A heatmap draws one head: it needs the per-head weights.
        let wantsWeights = attentionWeights != nil || heatmap.isRequested
        let perHead = perHead || heatmap.isRequested
        let numHeads = numHeads
        guard numHeads >= 1 else { throw session.error("--num-heads \(numHeads)", "expected at least 1 head") }

        /// Loads query, key and value, reading a file named more than once only once (so the
        /// engine sees self-attention and fuses the QKV projection).
        func inputs<T>(_ load: (InputFile) throws -> T) throws -> (T, T, T) {
            let q = try load(qFile)
            let k = key == query ? q : try load(kFile)
            let v = value == query ? q : value == key ? k : try load(vFile)
            return (q, k, v)
        }
        func masks(query q: [Int], key k: [Int]) throws -> AttentionMaskArguments {
            // Checked only when the inputs are [B, L, ·]; otherwise the layer reports the input shape.
            try AttentionMaskArguments(
                causal: causal, mask: mask, keyPadding: keyPaddingMask,
                scoresShape: q.count == 3 && k.count == 3 ? [q[0], numHeads, q[1], k[1]] : nil,
                op: "MultiHeadAttention", session: session)
        }
        try session.run(
            heatmap: heatmap, op: "mha", averagingHeadsForOutput: heatmap.isRequested && !self.perHead,
            blas: {
                let dict = try session.loader.stateDict(weightsFile, as: Float.self)
                let layer = try session.attributing(to: layerLabel) {
                    try MultiHeadAttention<Float>(stateDict: dict, numHeads: numHeads)
                }
                let (q, k, v) = try inputs(session.loader.floatTensor)
                let masks = try masks(query: q.shape, key: k.shape)
                let result = try session.attributing(to: qkvLabel) {
                    try layer(
                        query: q, key: k, value: v, mask: masks.engineMask,
                        weights: !wantsWeights ? .none : perHead ? .perHead : .averaged)
                }
                return [result.output] + (wantsWeights ? [result.weights!] : [])
            },
            reference: {
                let dict = try session.loader.stateDict(weightsFile, as: Double.self)
                let layer = try session.attributing(to: layerLabel) {
                    try MultiHeadAttention<Double>(stateDict: dict, numHeads: numHeads)
                }
                let (q, k, v) = try inputs(session.loader.doubleArray)
                let masks = try masks(query: q.shape, key: k.shape)
                let result = try session.attributing(to: qkvLabel) {
                    try Reference.multiHeadAttention(
                        query: q, key: k, value: v, weights: layer.referenceWeights(Double.self),
                        mask: masks.referenceMask, averageWeights: !perHead)
                }
                return [result.output] + (wantsWeights ? [result.weights] : [])
            })
    }
}

/// `--activation` of the encoder layer.
enum ActivationArgument: String, ExpressibleByArgument, CaseIterable {
    case relu, gelu
    case geluTanh = "gelu-tanh"

    var engine: Activation {
        switch self {
        case .relu: .relu
        case .gelu: .gelu
        case .geluTanh: .geluTanh
        }
    }
}

struct RunEncoderLayer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder-layer",
        abstract: "One nn.TransformerEncoderLayer (batch-first, eval mode: no dropout).",
        discussion: """
            attend run encoder-layer --input x.npy --weights w.safetensors \\
                --num-heads H [--activation relu|gelu] [--norm-first] [--eps 1e-5] \\
                --output out.npy

            x [B, L, E] → [B, L, E], as nn.TransformerEncoderLayer(batch_first=True) in eval mode:
              post-norm (default):  x = norm1(x + SA(x));  x = norm2(x + FF(x))
              --norm-first:         x = x + SA(norm1(x));  x = x + FF(norm2(x))

            --weights: .safetensors or .npz with nn.TransformerEncoderLayer's state_dict names: self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight, self_attn.out_proj.bias, linear1.weight, linear1.bias, linear2.weight, linear2.bias, norm1.weight, norm1.bias, norm2.weight, norm2.bias.
            --causal and --key-padding-mask (bool [B, L], True = ignore) mask the self-attention.
            """)

    @Option(help: ArgumentHelp("The input [B, L, E].", valueName: "x.npy")) var input: String
    @Option(help: ArgumentHelp("state_dict (.safetensors or .npz).", valueName: "w.safetensors")) var weights: String
    @Option(name: .customLong("num-heads"), help: "Number of heads H.") var numHeads: Int
    @Option(help: ArgumentHelp("Feed-forward activation.", valueName: "relu|gelu|gelu-tanh")) var activation:
        ActivationArgument = .relu
    @Flag(name: .customLong("norm-first"), help: "Pre-norm (norm_first=True).") var normFirst = false
    @Option(help: "LayerNorm epsilon.") var eps: Double = 1e-5
    @Flag(help: "Causal self-attention.") var causal = false
    @Option(
        name: .customLong("key-padding-mask"),
        help: ArgumentHelp("Bool [B, L], True = ignore that position.", valueName: "p.npy"))
    var keyPaddingMask: String?
    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "encoder-layer", options: options)
        let xFile = InputFile("--input", input)
        let weightsFile = InputFile("--weights", weights)
        let layerLabel = "\(weightsFile.label) (--num-heads \(numHeads))"
        let (numHeads, activation, normFirst, eps) = (numHeads, activation.engine, normFirst, eps)
        guard numHeads >= 1 else { throw session.error("--num-heads \(numHeads)", "expected at least 1 head") }
        /// The layer from `--weights` in `S` (the reference path reads its weights from it).
        func layer<S: TensorScalar>(_: S.Type) throws -> TransformerEncoderLayer<S> {
            let dict = try session.loader.stateDict(weightsFile, as: S.self)
            return try session.attributing(to: layerLabel) {
                try TransformerEncoderLayer<S>(
                    stateDict: dict, numHeads: numHeads, activation: activation, normFirst: normFirst, eps: eps)
            }
        }
        func masks(_ x: [Int]) throws -> AttentionMaskArguments {
            try AttentionMaskArguments(
                causal: causal, mask: nil, keyPadding: keyPaddingMask,
                scoresShape: x.count == 3 ? [x[0], numHeads, x[1], x[1]] : nil, op: "TransformerEncoderLayer",
                session: session)
        }
        try session.run(
            blas: {
                let layer = try layer(Float.self)
                let x = try session.loader.floatTensor(xFile)
                let masks = try masks(x.shape)
                return [try session.attributing(to: xFile.label) { try layer(x, mask: masks.engineMask) }]
            },
            reference: {
                let layer = try layer(Double.self)
                let x = try session.loader.doubleArray(xFile)
                let masks = try masks(x.shape)
                return [
                    try session.attributing(to: xFile.label) {
                        try Reference.transformerEncoderLayer(
                            x, weights: layer.referenceWeights(Double.self), activation: activation.reference,
                            normFirst: normFirst, eps: eps, mask: masks.referenceMask)
                    }
                ]
            })
    }
}

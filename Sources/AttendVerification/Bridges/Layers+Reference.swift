import Attend
import AttendReference
import RealModule

// An engine layer's parameters as the reference's weights, and the reference's weights read
// straight from a PyTorch state_dict (independently of the engine's own state_dict loader).

extension Activation {
    /// The reference's activation with the same formula.
    public var reference: ReferenceActivation {
        switch self {
        case .relu: .relu
        case .gelu: .gelu
        case .geluTanh: .geluTanh
        }
    }
}

extension MultiHeadAttention {
    /// The reference's parameters (in `R`) from the layer's already validated parameters.
    public func referenceWeights<R: ReferenceScalar>(_: R.Type) -> ReferenceMultiHeadAttentionWeights<R> {
        ReferenceMultiHeadAttentionWeights(
            numHeads: numHeads, qWeight: qWeight.reference(R.self), kWeight: kWeight.reference(R.self),
            vWeight: vWeight.reference(R.self), qBias: qBias?.reference(R.self), kBias: kBias?.reference(R.self),
            vBias: vBias?.reference(R.self), outWeight: outWeight.reference(R.self), outBias: outBias?.reference(R.self)
        )
    }
}

extension TransformerEncoderLayer {
    /// The reference's encoder-layer parameters (in `R`) from the layer's validated parameters.
    public func referenceWeights<R: ReferenceScalar>(_: R.Type) -> ReferenceTransformerEncoderLayerWeights<R> {
        ReferenceTransformerEncoderLayerWeights(
            attention: selfAttention.referenceWeights(R.self),
            linear1Weight: feedForward.linear1.weight.reference(R.self),
            linear1Bias: feedForward.linear1.bias?.reference(R.self),
            linear2Weight: feedForward.linear2.weight.reference(R.self),
            linear2Bias: feedForward.linear2.bias?.reference(R.self),
            norm1Weight: norm1.weight?.reference(R.self), norm1Bias: norm1.bias?.reference(R.self),
            norm2Weight: norm2.weight?.reference(R.self), norm2Bias: norm2.bias?.reference(R.self))
    }
}

/// A PyTorch state_dict entry the reference's weights need but the dictionary lacks.
public struct MissingStateDictEntry: Error, CustomStringConvertible {
    /// The missing entry's name with its prefix (`self_attn.out_proj.weight`).
    public let name: String
    /// `state_dict: no entry '<name>'`.
    public var description: String { "state_dict: no entry '\(name)'" }
}

extension ReferenceMultiHeadAttentionWeights where Scalar == Double {
    /// nn.MultiheadAttention's state_dict entries under `prefix`, read straight into the
    /// reference's weights (not through the engine's loader): `in_proj_weight [3E, E]` split in
    /// rows q, k, v — or `q_proj_weight`, `k_proj_weight`, `v_proj_weight` —, `in_proj_bias`
    /// split likewise when present, `out_proj.weight` and `out_proj.bias` when present.
    /// - Throws: ``MissingStateDictEntry`` naming an entry that is needed and absent.
    public init(stateDict: [String: ReferenceArray<Double>], prefix: String = "", numHeads: Int) throws {
        func entry(_ name: String) throws -> ReferenceArray<Double> {
            guard let value = stateDict[prefix + name] else { throw MissingStateDictEntry(name: prefix + name) }
            return value
        }
        let q: ReferenceArray<Double>
        let k: ReferenceArray<Double>
        let v: ReferenceArray<Double>
        if stateDict[prefix + "in_proj_weight"] != nil {
            let stacked = try entry("in_proj_weight")  // [3E, E]
            let e = stacked.shape[0] / 3
            q = try Reference.narrow(stacked, dim: 0, start: 0, length: e)
            k = try Reference.narrow(stacked, dim: 0, start: e, length: e)
            v = try Reference.narrow(stacked, dim: 0, start: 2 * e, length: e)
        } else {
            (q, k, v) = (try entry("q_proj_weight"), try entry("k_proj_weight"), try entry("v_proj_weight"))
        }
        var biases: [ReferenceArray<Double>?] = [nil, nil, nil]
        if stateDict[prefix + "in_proj_bias"] != nil {
            let stacked = try entry("in_proj_bias")  // [H·dk + H·dk + H·dv]
            let (wq, wk, wv) = (q.shape[0], k.shape[0], v.shape[0])
            biases = [
                try Reference.narrow(stacked, dim: 0, start: 0, length: wq),
                try Reference.narrow(stacked, dim: 0, start: wq, length: wk),
                try Reference.narrow(stacked, dim: 0, start: wq + wk, length: wv),
            ]
        }
        self.init(
            numHeads: numHeads, qWeight: q, kWeight: k, vWeight: v, qBias: biases[0], kBias: biases[1],
            vBias: biases[2],
            outWeight: try entry("out_proj.weight"), outBias: stateDict[prefix + "out_proj.bias"])
    }
}

extension ReferenceTransformerEncoderLayerWeights where Scalar == Double {
    /// nn.TransformerEncoderLayer's state_dict entries (`self_attn.*`, `linear1.*`, `linear2.*`,
    /// `norm1.*`, `norm2.*`), read straight into the reference's weights.
    /// - Throws: ``MissingStateDictEntry`` naming an entry that is needed and absent.
    public init(stateDict: [String: ReferenceArray<Double>], numHeads: Int) throws {
        func entry(_ name: String) throws -> ReferenceArray<Double> {
            guard let value = stateDict[name] else { throw MissingStateDictEntry(name: name) }
            return value
        }
        self.init(
            attention: try ReferenceMultiHeadAttentionWeights(
                stateDict: stateDict, prefix: "self_attn.", numHeads: numHeads),
            linear1Weight: try entry("linear1.weight"), linear1Bias: stateDict["linear1.bias"],
            linear2Weight: try entry("linear2.weight"), linear2Bias: stateDict["linear2.bias"],
            norm1Weight: stateDict["norm1.weight"], norm1Bias: stateDict["norm1.bias"],
            norm2Weight: stateDict["norm2.weight"], norm2Bias: stateDict["norm2.bias"])
    }
}

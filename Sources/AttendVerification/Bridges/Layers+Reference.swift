import Attend
import AttendReference
import RealModule

// An engine layer's parameters as the reference's weights, and the reference's weights read
// straight from a PyTorch state_dict (independently of the engine's own state_dict loader).

extension MultiHeadAttention {
    /// The reference's parameters (in `R`) from the layer's already validated parameters.
    public func referenceWeights<R: ReferenceScalar>(_: R.Type) -> ReferenceMultiHeadAttentionWeights<R> {
        ReferenceMultiHeadAttentionWeights(
            numHeads: numHeads, qWeight: qWeight.reference(R.self), kWeight: kWeight.reference(R.self),
            vWeight: vWeight.reference(R.self), qBias: qBias?.reference(R.self), kBias: kBias?.reference(R.self),
            vBias: vBias?.reference(R.self), outWeight: outWeight.reference(R.self), outBias: outBias?.reference(R.self))
    }
}

extension TransformerEncoderLayer {
    /// The reference's encoder-layer parameters (in `R`) from the layer's validated parameters.
    public func referenceWeights<R: ReferenceScalar>(_: R.Type) -> ReferenceTransformerEncoderLayerWeights<R> {
        ReferenceTransformerEncoderLayerWeights(
            attention: selfAttention.referenceWeights(R.self),
            linear1Weight: feedForward.linear1.weight.reference(R.self), linear1Bias: feedForward.linear1.bias?.reference(R.self),
            linear2Weight: feedForward.linear2.weight.reference(R.self), linear2Bias: feedForward.linear2.bias?.reference(R.self),
            norm1Weight: norm1.weight?.reference(R.self), norm1Bias: norm1.bias?.reference(R.self),
            norm2Weight: norm2.weight?.reference(R.self), norm2Bias: norm2.bias?.reference(R.self))
    }
}

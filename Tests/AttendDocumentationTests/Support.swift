import Attend
import AttendReference

// Bridges for checking the articles' results against AttendReference, the independent
// pure-Swift path computed in Double.

/// The same values in Double, for the reference.
func referenceArray(_ tensor: Tensor<Float>) -> ReferenceArray<Double> {
    ReferenceArray(shape: tensor.shape, values: tensor.scalars.map(Double.init))
}

/// The reference's parameters for an engine layer (PyTorch layout, in Double).
func referenceWeights(_ layer: MultiHeadAttention<Float>) -> ReferenceMultiHeadAttentionWeights<Double> {
    ReferenceMultiHeadAttentionWeights(
        numHeads: layer.numHeads,
        qWeight: referenceArray(layer.qWeight), kWeight: referenceArray(layer.kWeight),
        vWeight: referenceArray(layer.vWeight),
        qBias: layer.qBias.map(referenceArray), kBias: layer.kBias.map(referenceArray),
        vBias: layer.vBias.map(referenceArray),
        outWeight: referenceArray(layer.outWeight), outBias: layer.outBias.map(referenceArray))
}

/// The largest |engine − reference| over all elements; the shapes must agree.
func maxAbsoluteError(_ engine: Tensor<Float>, _ reference: ReferenceArray<Double>) -> Double {
    precondition(
        engine.shape == reference.shape, "maxAbsoluteError: shapes \(engine.shape) and \(reference.shape) differ")
    return zip(engine.scalars, reference.values).reduce(0) { Swift.max($0, Swift.abs(Double($1.0) - $1.1)) }
}

/// Expects `actual` to hold `expected` row-major, each within `tolerance`.
func isClose(_ actual: Tensor<Float>, _ expected: [Double], tolerance: Double = 1e-6) -> Bool {
    actual.count == expected.count
        && zip(actual.scalars, expected).allSatisfy { Swift.abs(Double($0) - $1) <= tolerance }
}

import RealModule

/// The feed-forward activations of a transformer block.
public enum ReferenceActivation: String, Sendable, CaseIterable {
    /// max(0, x)
    case relu
    /// Exact GELU: 0.5·x·(1 + erf(x/√2))
    case gelu
    /// Tanh-approximated GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    case geluTanh
}

extension Reference {
    /// `max(0, x)` elementwise (NaN stays NaN).
    public static func relu<Scalar>(_ x: ReferenceArray<Scalar>) -> ReferenceArray<Scalar> {
        map(x) { $0.isNaN ? $0 : ($0 > 0 ? $0 : 0) }
    }

    /// Exact GELU elementwise: `0.5·x·(1 + erf(x/√2))`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func gelu<Scalar>(_ x: ReferenceArray<Scalar>) -> ReferenceArray<Scalar> {
        let rootTwo = Scalar.sqrt(2)
        return map(x) { v in 0.5 * v * (1 + Scalar.erf(v / rootTwo)) }
    }

    /// Tanh-approximated GELU elementwise: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func geluTanh<Scalar>(_ x: ReferenceArray<Scalar>) -> ReferenceArray<Scalar> {
        let c = Scalar.sqrt(2 / Scalar.pi)
        return map(x) { v in 0.5 * v * (1 + Scalar.tanh(c * (v + 0.044715 * v * v * v))) }
    }

    /// Applies `activation` elementwise.
    public static func activate<Scalar>(_ x: ReferenceArray<Scalar>, _ activation: ReferenceActivation)
        -> ReferenceArray<Scalar>
    {
        switch activation {
        case .relu: return relu(x)
        case .gelu: return gelu(x)
        case .geluTanh: return geluTanh(x)
        }
    }
}

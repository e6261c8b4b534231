import RealModule

/// The activation functions of the feed-forward block.
public enum Activation: String, Sendable, CaseIterable {
    /// max(0, x).
    case relu
    /// x·Φ(x) = 0.5·x·(1 + erf(x/√2)) — PyTorch's `gelu` (approximate='none').
    case gelu
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — PyTorch's `gelu(approximate='tanh')`.
    case geluTanh
}

extension Tensor {
    /// max(0, x) elementwise (NaN stays NaN, as in PyTorch).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func relu() -> Tensor { map { $0 < 0 ? 0 : $0 } }

    /// 0.5·x·(1 + erf(x/√2)) elementwise, evaluated in Double.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gelu() -> Tensor {
        map { x in Scalar(0.5 * Double(x) * (1 + Double.erf(Double(x) / 2.0.squareRoot()))) }
    }

    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) elementwise, evaluated in Double.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func geluTanh() -> Tensor {
        map { x in
            let v = Double(x)
            return Scalar(0.5 * v * (1 + Double.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
        }
    }

    /// Applies an ``Activation``.
    public func activated(_ activation: Activation) -> Tensor {
        switch activation {
        case .relu: relu()
        case .gelu: gelu()
        case .geluTanh: geluTanh()
        }
    }
}

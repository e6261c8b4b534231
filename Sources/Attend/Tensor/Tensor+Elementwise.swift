import RealModule

// Unary elementwise functions. Each returns a new contiguous tensor.

extension Tensor {
    /// x² elementwise.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// √x elementwise (NaN for negative x).
    public func sqrt() -> Tensor { map { Scalar.sqrt($0) } }
    /// eˣ elementwise.
    public func exp() -> Tensor { map { Scalar.exp($0) } }
    /// ln x elementwise.
    public func log() -> Tensor { map { Scalar.log($0) } }
    /// tanh x elementwise.
    public func tanh() -> Tensor { map { Scalar.tanh($0) } }
    /// |x| elementwise.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// xᵖ elementwise.
    public func pow(_ exponent: Scalar) -> Tensor { map { Scalar.pow($0, exponent) } }
}

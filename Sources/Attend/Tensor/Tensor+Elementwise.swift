import RealModule

// Unary elementwise functions. Each returns a new contiguous tensor.

extension Tensor {
    /// x² elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func squared() -> Tensor { map { $0 * $0 } }
    /// √x elementwise (NaN for negative x).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sqrt() -> Tensor { map { Scalar.sqrt($0) } }
    /// eˣ elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func exp() -> Tensor { map { Scalar.exp($0) } }
    /// ln x elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func log() -> Tensor { map { Scalar.log($0) } }
    /// tanh x elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tanh() -> Tensor { map { Scalar.tanh($0) } }
    /// |x| elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// xᵖ elementwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pow(_ exponent: Scalar) -> Tensor { map { Scalar.pow($0, exponent) } }
}

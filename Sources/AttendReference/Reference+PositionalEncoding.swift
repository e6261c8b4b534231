import RealModule

extension Reference {
    /// The sinusoidal positional encoding of "Attention Is All You Need":
    /// `PE[p, 2i] = sin(p / 10000^(2i/D))`, `PE[p, 2i+1] = cos(p / 10000^(2i/D))`.
    ///
    /// Shape: [length, dim] (an odd `dim` ends with a sine column).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func sinusoidalPositionalEncoding<Scalar: ReferenceScalar>(
        length: Int, dim: Int, as: Scalar.Type = Scalar.self
    ) -> ReferenceArray<Scalar> {
        precondition(
            length >= 0 && dim >= 0, "sinusoidalPositionalEncoding: length \(length) and dim \(dim) must be >= 0")
        var pe = ReferenceArray<Scalar>(shape: [length, dim], repeating: 0)
        for p in 0..<length {
            for column in 0..<dim {
                let i = column / 2
                let angle = Scalar(p) / Scalar.pow(10000, Scalar(2 * i) / Scalar(dim))
                pe[p, column] = column % 2 == 0 ? Scalar.sin(angle) : Scalar.cos(angle)
            }
        }
        return pe
    }
}

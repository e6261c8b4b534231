extension Reference {
    /// The transformer feed-forward block: `y = act(x·W1ᵀ + b1)·W2ᵀ + b2`.
    ///
    /// Shapes: x [..., E], w1 [F, E], b1 [F] or nil, w2 [E', F], b2 [E'] or nil → [..., E'].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the weights do not chain (`w1 [F, E]`, `w2 [E, F]`,
    ///   biases `[F]`, `[E]`).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func feedForward<Scalar>(
        _ x: ReferenceArray<Scalar>,
        w1: ReferenceArray<Scalar>, b1: ReferenceArray<Scalar>?,
        w2: ReferenceArray<Scalar>, b2: ReferenceArray<Scalar>?,
        activation: ReferenceActivation = .relu
    ) throws -> ReferenceArray<Scalar> {
        let hidden = activate(try linear(x, weight: w1, bias: b1), activation)
        return try linear(hidden, weight: w2, bias: b2)
    }
}

/// The position-wise feed-forward block: `linear2(activation(linear1(x)))` —
/// `x [..., E]` → `[..., F]` → `[..., E]` (each projection one GEMM over the flattened batch).
public struct FeedForward<Scalar: TensorScalar>: Sendable {
    /// The expansion `[F, E]`: x [..., E] → [..., F].
    public var linear1: Linear<Scalar>
    /// The projection back `[E, F]`: [..., F] → [..., E].
    public var linear2: Linear<Scalar>
    /// The elementwise nonlinearity between the two projections (ReLU or GELU).
    public var activation: Activation

    /// The block `linear2(activation(linear1(x)))` from its two projections and activation.
    /// - Throws: ``TensorError`` when linear2 does not map linear1's output width back.
    public init(linear1: Linear<Scalar>, linear2: Linear<Scalar>, activation: Activation) throws {
        guard linear2.inFeatures == linear1.outFeatures else {
            throw TensorError(
                op: "FeedForward",
                "linear2 takes \(linear2.inFeatures) features but linear1 produces \(linear1.outFeatures)")
        }
        self.linear1 = linear1
        self.linear2 = linear2
        self.activation = activation
    }

    /// `x [..., E]` → `linear2(activation(linear1(x))) [..., E]`.
    /// - Throws: `TensorError` when x's last dimension is not linear1's `inFeatures`.
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try linear2(linear1(x).activated(activation))
    }
}

/// y = x·Wᵀ + b with PyTorch's weight layout — `x [..., in]`, `weight [out, in]`,
/// `bias [out]` → `[..., out]`.
///
/// Lowered to a single GEMM over the flattened batch (`M = Π leading dims`, `transB` for Wᵀ,
/// no copies for a contiguous `x`); the bias is folded in by starting C from the broadcast bias
/// with beta = 1.
///
/// - Throws: ``TensorError`` naming both shapes and the rule when `x.shape[-1] != in`. When the
///   width is a whole multiple of the expected one — the usual sign of mixing up attention heads
///   and the full width (a per-head layer fed `[B, L, H·d]`) — the message says so and how to fix it.
public func linear<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil
) throws -> Tensor<Scalar> {
    let lowering = try LinearLowering(input: x.layout, weight: weight.layout, bias: bias?.shape, scalar: Scalar.self)
    return try lowering.gemm.run(x, weight.transposed(0, 1), initial: bias)  // [..., out]
}

/// The GEMM ``linear(_:weight:bias:)`` makes for these layouts (and whether the bias is folded
/// in), without running it.
/// - Throws: ``TensorError`` as ``linear(_:weight:bias:)`` would for these shapes.
public func linearPlan<Scalar: TensorScalar>(
    input: TensorLayout, weight: TensorLayout, hasBias: Bool = true, scalar: Scalar.Type
) throws -> LoweringPlan {
    try LinearLowering(
        input: input, weight: weight, bias: hasBias ? [weight.shape.first ?? 0] : nil, scalar: Scalar.self
    ).plan
}

/// The message for an input whose width does not match a weight's in-features.
func linearMismatchMessage(input: [Int], weight: [Int]) -> String {
    let width = input.last ?? 0
    let inFeatures = weight[1]
    var message =
        "input \(describe(input)) has \(width) features but weight \(describe(weight)) expects \(inFeatures) "
        + "(y = x·Wᵀ + b needs x.shape[-1] == weight.shape[1])"
    if inFeatures > 0, width > inFeatures, width % inFeatures == 0 {
        let n = width / inFeatures
        message +=
            ". \(width) = \(n) × \(inFeatures), which usually means attention heads and the full width were mixed up: "
            + "a per-head layer must see only its slice of the embedding (split the projection with view [B, L, numHeads, headDim]), "
            + "and concatenating numHeads heads must give embedDim features, not numHeads × embedDim"
    }
    return message
}

/// A fully connected layer holding `weight [out, in]` and an optional `bias [out]`
/// (PyTorch `nn.Linear`): `callAsFunction(x)` = x·Wᵀ + b.
public struct Linear<Scalar: TensorScalar>: Sendable {
    /// `W [out, in]` (PyTorch's `weight`): the layer computes x·Wᵀ.
    public var weight: Tensor<Scalar>
    /// `b [out]`, added to every row; nil for a layer without bias.
    public var bias: Tensor<Scalar>?

    /// A layer from given parameters.
    /// - Throws: ``TensorError`` when the weight is not 2-D or the bias does not match it.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) throws {
        guard weight.rank == 2 else {
            throw TensorError(op: "Linear", "weight must be [out, in], got \(describe(weight.shape))")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError(
                op: "Linear",
                "bias has shape \(describe(bias.shape)) but weight \(describe(weight.shape)) needs [\(weight.shape[0])]"
            )
        }
        self.weight = weight
        self.bias = bias
    }

    /// PyTorch's default initialisation: weight and bias uniform in ±1/√in
    /// (kaiming-uniform with a = √5), drawn from `generator`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        let bound = Scalar(1 / Double(inFeatures).squareRoot())
        weight = .uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &generator)
        self.bias = bias ? .uniform([outFeatures], low: -bound, high: bound, using: &generator) : nil
    }

    /// `in`: the width an input's last dimension must have (`weight.shape[1]`).
    public var inFeatures: Int { weight.shape[1] }
    /// `out`: the width of the output's last dimension (`weight.shape[0]`).
    public var outFeatures: Int { weight.shape[0] }

    /// x·Wᵀ + b for `x [..., in]` → `[..., out]`.
    /// - Throws: ``TensorError`` naming both shapes when `x.shape[-1] != in`.
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try linear(x, weight: weight, bias: bias)
    }
}

/// The gated feed-forward block of Llama-family decoders (Shazeer's SwiGLU):
///
///     y = down( silu(gate(x)) ⊙ up(x) ),     silu(z) = z · σ(z) = z / (1 + e⁻ᶻ)
///
/// `x [..., D]`; gate and up are `[F, D]`, down `[D, F]` (no biases in Llama, but any given are
/// applied). Three GEMMs; the gate and its product with up are one elementwise pass.
/// - SeeAlso: `Reference.swiGLUFeedForward` in AttendReference.
public struct SwiGLUFeedForward<Scalar: TensorScalar>: Sendable {
    /// The gate projection `[F, D]`, passed through silu.
    public var gate: Linear<Scalar>
    /// The up projection `[F, D]`, multiplied elementwise by the gated values.
    public var up: Linear<Scalar>
    /// The down projection `[D, F]` back to the model width.
    public var down: Linear<Scalar>

    /// The block `down(silu(gate(x)) ⊙ up(x))` from its three projections.
    /// - Throws: ``TensorError`` when the three projections do not chain `D → F → D`.
    public init(gate: Linear<Scalar>, up: Linear<Scalar>, down: Linear<Scalar>) throws {
        guard gate.weight.shape == up.weight.shape, down.weight.shape == [gate.weight.shape[1], gate.weight.shape[0]]
        else {
            throw TensorError(
                op: "SwiGLUFeedForward",
                "gate \(describe(gate.weight.shape)) and up \(describe(up.weight.shape)) must both be [F, D] and down \(describe(down.weight.shape)) [D, F]"
            )
        }
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// `x [..., D]` → `down(silu(gate(x)) ⊙ up(x)) [..., D]`.
    /// - Throws: `TensorError` when x's last dimension is not D.
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let g = try gate(x)  // [..., F]
        let u = try up(x)  // [..., F]
        return try down(siluGated(g, u))
    }
}

/// silu(g) ⊙ u = g / (1 + e⁻ᵍ) · u elementwise — SwiGLU's gate, for decoders whose projections
/// are not ``Linear`` (e.g. ``QuantizedLinear``).
/// - Throws: ``TensorError`` when the shapes differ.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func siluGated<Scalar: TensorScalar>(_ g: Tensor<Scalar>, _ u: Tensor<Scalar>) throws -> Tensor<Scalar> {
    guard g.shape == u.shape else {
        throw TensorError(
            op: "siluGated", "gate \(describe(g.shape)) and up \(describe(u.shape)) must have the same shape")
    }
    let gc = g.contiguous()
    let uc = u.contiguous()
    let result = Tensor<Scalar>(shape: g.shape)
    withExtendedLifetime((gc, uc)) {
        let a = gc.storage.pointer + gc.offset
        let b = uc.storage.pointer + uc.offset
        let out = result.storage.pointer
        for i in 0..<g.count { out[i] = a[i] / (1 + Scalar.exp(-a[i])) * b[i] }
    }
    return result
}

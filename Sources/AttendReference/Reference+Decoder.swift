import RealModule

extension Reference {
    /// RMS normalization over the last dim: `y[..., t] = x[..., t] / √(Σ_t x[..., t]²/D + eps)·weight[t]`.
    ///
    /// Shapes: x [..., D], weight [D] → [..., D].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the weight is not `[D]` for the last dim D of `x`.
    public static func rmsNorm<Scalar>(_ x: ReferenceArray<Scalar>, weight: ReferenceArray<Scalar>, eps: Scalar = 1e-5)
        throws
        -> ReferenceArray<Scalar>
    {
        let n = weight.count
        guard weight.rank == 1, x.rank >= 1, x.shape[x.rank - 1] == n else {
            throw ReferenceError.shapeMismatch(
                op: "rmsNorm",
                message: "x \(formatShape(x.shape)) must end with the size of weight \(formatShape(weight.shape))")
        }
        var out = x
        for g in 0..<(n == 0 ? 0 : x.count / n) {
            var meanSquare: Scalar = 0
            for t in 0..<n { meanSquare += x.values[g * n + t] * x.values[g * n + t] }
            meanSquare /= Scalar(n)
            for t in 0..<n {
                out.values[g * n + t] = x.values[g * n + t] / Scalar.sqrt(meanSquare + eps) * weight.values[t]
            }
        }
        return out
    }

    /// SwiGLU feed-forward: `y = (silu(x·Gᵀ) ⊙ (x·Uᵀ))·Dᵀ` with `silu(z) = z/(1 + e^(−z))`.
    ///
    /// Shapes: x [..., D], gate and up [F, D], down [D, F] → [..., D].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the weights do not chain (`gate`, `up` `[F, E]`,
    ///   `down` `[E, F]`, x `[..., E]`).
    public static func swiGLUFeedForward<Scalar>(
        _ x: ReferenceArray<Scalar>, gate: ReferenceArray<Scalar>, up: ReferenceArray<Scalar>,
        down: ReferenceArray<Scalar>
    ) throws -> ReferenceArray<Scalar> {
        let g = try linear(x, weight: gate)
        let u = try linear(x, weight: up)
        var h = g
        for i in 0..<h.count { h.values[i] = g.values[i] / (1 + Scalar.exp(-g.values[i])) * u.values[i] }
        return try linear(h, weight: down)
    }

    /// Which features a rotary embedding rotates together.
    public enum RotaryPairing: Sendable {
        /// (x[2i], x[2i+1]) — the RoFormer paper, GPT-J, llama.cpp.
        case adjacent
        /// (x[i], x[i + D/2]) — Hugging Face Llama's `rotate_half`.
        case halfSplit
    }

    /// Rotary position embedding: at position p = positionOffset + l (l the index along dim −2),
    /// pair i of the last dim, (a, b), becomes `(a·cos(pθᵢ) − b·sin(pθᵢ), a·sin(pθᵢ) + b·cos(pθᵢ))`
    /// with `θᵢ = base^(−2i/D)`.
    ///
    /// Shapes: x [..., L, D] (D even) → [..., L, D].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when `x` is not `[..., L, D]` with D even.
    public static func rotaryEmbedding<Scalar>(
        _ x: ReferenceArray<Scalar>, base: Scalar, pairing: RotaryPairing, positionOffset: Int = 0
    ) throws -> ReferenceArray<Scalar> {
        guard x.rank >= 2, x.shape[x.rank - 1] % 2 == 0 else {
            throw ReferenceError.shapeMismatch(
                op: "rotaryEmbedding", message: "x \(formatShape(x.shape)) must be [..., L, D] with D even")
        }
        let d = x.shape[x.rank - 1]
        let length = x.shape[x.rank - 2]
        var out = x
        for row in 0..<(x.count / Swift.max(d, 1)) {
            let p = Scalar(positionOffset + row % length)
            for i in 0..<(d / 2) {
                let theta = Scalar.pow(base, -Scalar(2 * i) / Scalar(d))
                let (ia, ib) = pairing == .adjacent ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                let a = x.values[row * d + ia]
                let b = x.values[row * d + ib]
                out.values[row * d + ia] = a * Scalar.cos(p * theta) - b * Scalar.sin(p * theta)
                out.values[row * d + ib] = a * Scalar.sin(p * theta) + b * Scalar.cos(p * theta)
            }
        }
        return out
    }

    /// Grouped-query attention: query head h attends with key/value head ⌊h/G⌋, G = H/Hkv —
    /// `out[b, h] = sdpa(q[b, h], k[b, ⌊h/G⌋], v[b, ⌊h/G⌋], mask)`, each head computed on its own.
    ///
    /// Shapes: queries [B, H, Lq, Dk], keys [B, Hkv, Lk, Dk], values [B, Hkv, Lk, Dv] → [B, H, Lq, Dv].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the query heads are not a multiple of the key/value
    ///   heads, or the
    ///   shapes disagree as in ``scaledDotProductAttention(queries:keys:values:mask:scale:dropoutFactors:)``.
    public static func groupedQueryAttention<Scalar>(
        queries: ReferenceArray<Scalar>, keys: ReferenceArray<Scalar>, values: ReferenceArray<Scalar>,
        mask: ReferenceMask<Scalar> = .none, scale: Scalar? = nil
    ) throws -> ReferenceArray<Scalar> {
        guard queries.rank == 4, keys.rank == 4, values.rank == 4, keys.shape[1] > 0,
            queries.shape[1] % keys.shape[1] == 0
        else {
            throw ReferenceError.shapeMismatch(
                op: "groupedQueryAttention",
                message:
                    "queries \(formatShape(queries.shape)) and keys \(formatShape(keys.shape)) must be [B, H, L, D] with H a multiple of Hkv"
            )
        }
        let (b, h, lq, dk) = (queries.shape[0], queries.shape[1], queries.shape[2], queries.shape[3])
        let (hkv, lk, dv) = (keys.shape[1], keys.shape[2], values.shape[3])
        let group = h / hkv
        var out = [Scalar]()
        out.reserveCapacity(b * h * lq * dv)
        for batch in 0..<b {
            for head in 0..<h {
                let kv = head / group
                let q = ReferenceArray(
                    shape: [lq, dk],
                    values: Array(queries.values[((batch * h + head) * lq * dk)..<((batch * h + head + 1) * lq * dk)]))
                let k = ReferenceArray(
                    shape: [lk, dk],
                    values: Array(keys.values[((batch * hkv + kv) * lk * dk)..<((batch * hkv + kv + 1) * lk * dk)]))
                let v = ReferenceArray(
                    shape: [lk, dv],
                    values: Array(values.values[((batch * hkv + kv) * lk * dv)..<((batch * hkv + kv + 1) * lk * dv)]))
                out += try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask, scale: scale).output
                    .values
            }
        }
        return ReferenceArray(shape: [b, h, lq, dv], values: out)
    }
}

/// Grouped-query attention (Ainslie et al. 2023): H query heads share Hkv key/value heads,
/// query head h reading key/value head ⌊h / G⌋ with G = H / Hkv (Hugging Face's `repeat_kv`
/// order; Hkv = H is multi-head attention, Hkv = 1 multi-query attention):
///
///     queries [B, H, Lq, Dk], keys [B, Hkv, Lk, Dk], values [B, Hkv, Lk, Dv] → [B, H, Lq, Dv]
///     out[b, h] = softmax(Q[b,h]·K[b,⌊h/G⌋]ᵀ · scale + mask) · V[b,⌊h/G⌋]
///
/// The key/value heads are never copied: queries are viewed as `[B, Hkv, G, Lq, Dk]` and keys and
/// values as `[B, Hkv, 1, Lk, D]` expanded to `[B, Hkv, G, Lk, D]` with stride 0 over the group,
/// which the attention kernels read as broadcast batch strides. Masks apply to scores
/// `[B, Hkv, G, Lq, Lk]` (``AttentionMask/causal`` and ``AttentionMask/causalFromEnd`` need no shape).
/// - Throws: ``TensorError`` when the ranks are not 4, H is not a multiple of Hkv, or the shapes
///   disagree as in ``scaledDotProductAttention(queries:keys:values:mask:scale:returnWeights:algorithm:)``.
/// - SeeAlso: `Reference.groupedQueryAttention` in AttendReference.
public func groupedQueryAttention<Scalar: TensorScalar>(
    queries: Tensor<Scalar>, keys: Tensor<Scalar>, values: Tensor<Scalar>,
    mask: AttentionMask<Scalar> = .none, scale: Scalar? = nil, algorithm: AttentionAlgorithm = .automatic
) throws -> Tensor<Scalar> {
    let op = "groupedQueryAttention"
    guard queries.rank == 4, keys.rank == 4, values.rank == 4 else {
        throw TensorError(
            op: op,
            "queries \(describe(queries.shape)), keys \(describe(keys.shape)) and values \(describe(values.shape)) must be [B, H, L, D]"
        )
    }
    let (b, h, lq, dk) = (queries.shape[0], queries.shape[1], queries.shape[2], queries.shape[3])
    let hkv = keys.shape[1]
    let lk = keys.shape[2]
    let dv = values.shape[3]
    guard hkv > 0, values.shape[1] == hkv, h % hkv == 0, keys.shape[0] == b, values.shape[0] == b else {
        throw TensorError(
            op: op,
            "queries \(describe(queries.shape)) need H a multiple of the key/value heads Hkv of keys \(describe(keys.shape)) and values \(describe(values.shape)), with equal B"
        )
    }
    let g = h / hkv
    let q = try queries.view([b, hkv, g, lq, dk])  // [B, Hkv, G, Lq, Dk]
    let k = try keys.unsqueezed(2).expanded(to: [b, hkv, g, lk, dk])  // [B, Hkv, G, Lk, Dk], stride 0 over G
    let v = try values.unsqueezed(2).expanded(to: [b, hkv, g, lk, dv])  // [B, Hkv, G, Lk, Dv], stride 0 over G
    let out = try scaledDotProductAttention(
        queries: q, keys: k, values: v, mask: mask, scale: scale, algorithm: algorithm
    ).output
    return try out.view([b, h, lq, dv])  // [B, H, Lq, Dv]
}

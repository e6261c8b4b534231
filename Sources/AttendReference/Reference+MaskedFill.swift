extension Reference {
    /// `out[i] = mask[i] != 0 ? value : x[i]` where `mask` (0/1 values, 1 = fill) is broadcast to
    /// x's shape (torch.Tensor.masked_fill). out.shape = x.shape.
    /// - Throws: ``ReferenceError`` when mask's shape does not broadcast to x's.
    public static func maskedFill<Scalar>(
        _ x: ReferenceArray<Scalar>, mask: ReferenceArray<Scalar>, value: Scalar
    ) throws -> ReferenceArray<Scalar> {
        try checkBroadcastable(mask.shape, to: x.shape, op: "maskedFill", what: "mask")
        let maskOffsets = broadcastOffsets(mask.shape, to: x.shape)
        var out = x
        for n in 0..<x.count where mask.values[maskOffsets[n]] != 0 {
            out.values[n] = value
        }
        return out
    }
}

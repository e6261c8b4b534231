/// Overflow-safe size arithmetic for untrusted shapes and lengths.
enum ShapeArithmetic {
    /// The product of `shape`, or `nil` if an extent is negative or the product of its nonzero
    /// extents overflows `Int`.
    ///
    /// Zero extents count as 1 in the overflow check because the contiguous strides do
    /// (`contiguousStrides(for:)`): `[0, 2⁴⁰, 2⁴⁰]` holds no element, but its first stride would be
    /// 2⁸⁰ (the `gguf` fuzz harness trapped on such a tensor). A shape that passes has every
    /// stride, and every partial product in any order, within `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var span = 1
        var empty = false
        for extent in shape {
            guard extent >= 0 else { return nil }
            if extent == 0 {
                empty = true
                continue
            }
            let (product, overflow) = span.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            span = product
        }
        return empty ? 0 : span
    }

    /// `elementCount(shape) * width`, or `nil` on a negative extent or overflow.
    static func byteCount(shape: [Int], width: Int) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
        return overflow ? nil : bytes
    }
}

/// Overflow-safe size arithmetic for untrusted shapes and lengths.
enum ShapeArithmetic {
    /// The product of `shape`, or `nil` if an extent is negative or the product overflows `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// `elementCount(shape) * width`, or `nil` on a negative extent or overflow.
    static func byteCount(shape: [Int], width: Int) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
        return overflow ? nil : bytes
    }
}

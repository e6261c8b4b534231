/// How far one result is from the exact one, measured against its elementwise bound (see
/// ``ErrorBounds`` for where the bounds come from).
public struct ErrorReport: CustomStringConvertible, Sendable {
    /// max |actual − expected| over the elements that differ.
    public var maxAbsError = 0.0
    /// ‖actual − expected‖∞ / ‖expected‖∞ (a normwise relative error: elementwise ratios explode
    /// at exact zeros, which masks and cancellations produce on purpose).
    public var maxRelError = 0.0
    /// max over elements of |actual − expected| / bound: ≤ 1 passes. Equal values (including
    /// equal infinities and two NaNs) count 0; a NaN or infinite error counts ∞.
    public var worstRatio = 0.0
    /// The flat index where `worstRatio` is reached (−1 for no elements), with its values.
    public var worstIndex = -1
    /// The element at ``worstIndex``: the engine's value, the exact value and the bound it was held to.
    public var actual = 0.0, expected = 0.0, bound = 0.0

    /// Measures `actual` against `expected` element by element, each error over its `bound`
    /// (`|actual[i] − expected[i]| / bound[i]`), all three flat arrays of one length.
    /// - Precondition: the three counts are equal (the caller compares shapes first).
    public init(actual: [Double], expected: [Double], bound: [Double]) {
        precondition(
            actual.count == expected.count && expected.count == bound.count,
            "ErrorReport: \(actual.count) actual values, \(expected.count) expected, \(bound.count) bounds")
        var largest = 0.0
        for i in actual.indices {
            let error = Swift.abs(actual[i] - expected[i])
            let ratio: Double
            if actual[i] == expected[i] || (actual[i].isNaN && expected[i].isNaN) {
                ratio = 0
            } else if !error.isFinite {
                ratio = .infinity
            } else {
                ratio = (error / bound[i]).isNaN ? .infinity : error / bound[i]
            }
            if ratio > worstRatio || worstIndex < 0 {
                (worstRatio, worstIndex) = (ratio, i)
                (self.actual, self.expected, self.bound) = (actual[i], expected[i], bound[i])
            }
            if ratio > 0 { maxAbsError = Swift.max(maxAbsError, error.isNaN ? .infinity : error) }
            if expected[i].isFinite { largest = Swift.max(largest, Swift.abs(expected[i])) }
        }
        maxRelError = largest > 0 ? maxAbsError / largest : (maxAbsError > 0 ? .infinity : 0)
    }

    /// `worst error/bound r at flat index i: got a, expected e, bound b; max |error| m`.
    public var description: String {
        "worst error/bound \(worstRatio) at flat index \(worstIndex): got \(actual), expected \(expected), bound \(bound); "
            + "max |error| \(maxAbsError)"
    }
}

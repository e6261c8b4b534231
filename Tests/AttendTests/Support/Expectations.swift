import Attend
import AttendReference
import AttendVerification
import Testing

// Swift Testing expectations over the verification library: the bounds come from
// ``ErrorBounds`` and its propagation, the comparison from ``ErrorReport``.

/// Checks the shape first, then every element against its bound.
func expectWithinBound<T: TensorScalar>(
    _ actual: Tensor<T>, _ expected: ReferenceArray<Double>, bound: [Double],
    _ context: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(
        actual.shape == expected.shape, "shape \(actual.shape) vs reference \(expected.shape) \(context())",
        sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let report = ErrorReport(actual: actual.scalars.map { Double($0) }, expected: expected.values, bound: bound)
    #expect(report.worstRatio <= 1, "\(report) \(context())", sourceLocation: sourceLocation)
}

/// Exact comparison with printed values (seed notebooks), within a stated absolute tolerance.
func expectValues<T: TensorScalar>(
    _ actual: Tensor<T>, shape: [Int], _ expected: [Double], absoluteTolerance: Double = 0,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == shape, "shape \(actual.shape), expected \(shape)", sourceLocation: sourceLocation)
    guard actual.shape == shape else { return }
    let values = actual.scalars.map { Double($0) }
    #expect(
        values.count == expected.count, "got \(values.count) values, expected \(expected.count)",
        sourceLocation: sourceLocation)
    let worst = zip(values, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(worst <= absoluteTolerance, "got \(values), expected \(expected)", sourceLocation: sourceLocation)
}

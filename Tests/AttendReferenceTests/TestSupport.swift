import Testing

@testable import AttendReference

typealias RA = ReferenceArray<Double>

/// A rank-1 array.
func vec(_ values: [Double]) -> RA { RA(shape: [values.count], values: values) }

/// A rank-2 array from rows.
func mat(_ rows: [[Double]]) -> RA { RA(rows: rows) }

/// 0, 1, 2, … reshaped to `shape`.
func arange(_ shape: [Int]) -> RA {
    RA(shape: shape, values: (0..<shape.reduce(1, *)).map(Double.init))
}

/// Deterministic pseudo-random values in [-1, 1) (a small LCG), so tests are reproducible.
func pseudoRandom(_ shape: [Int], seed: UInt64) -> RA {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let values = (0..<shape.reduce(1, *)).map { _ -> Double in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
    return RA(shape: shape, values: values)
}

/// Checks the shape exactly and every value within `tolerance` (absolute).
func expectClose(
    _ actual: RA, shape: [Int], _ expected: [Double], tolerance: Double = 1e-12,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == shape, "shape", sourceLocation: sourceLocation)
    #expect(actual.values.count == expected.count, "count", sourceLocation: sourceLocation)
    for (k, (a, e)) in zip(actual.values, expected).enumerated() {
        let ok = (a == e) || abs(a - e) <= tolerance
        #expect(ok, "value \(k): \(a) vs expected \(e)", sourceLocation: sourceLocation)
    }
}

/// Checks two arrays have the same shape and values within `tolerance`.
func expectClose(
    _ actual: RA, _ expected: RA, tolerance: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(actual, shape: expected.shape, expected.values, tolerance: tolerance, sourceLocation: sourceLocation)
}

/// Runs `body`, expects a ``ReferenceError`` and returns its description ("" if none was thrown).
func errorMessage(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        try body()
        Issue.record("expected a ReferenceError, got none", sourceLocation: sourceLocation)
        return ""
    } catch let error as ReferenceError {
        return error.description
    } catch {
        Issue.record("expected a ReferenceError, got \(error)", sourceLocation: sourceLocation)
        return ""
    }
}

/// Seed 001's `torch.randn(1, 5, 4)` printout (manual_seed 42), the input of its nn.LayerNorm example.
let layerNormNotebookInput = mat([
    [1.9269, 1.4873, 0.9007, -2.1055],
    [-0.7581, 1.0783, 0.8008, 1.6806],
    [0.3559, -0.6866, -0.4934, 0.2415],
    [-0.2316, 0.0418, -0.2516, 0.8599],
    [-0.3097, -0.3957, 0.8034, -0.6216],
])

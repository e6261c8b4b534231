import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// Every NumPy fixture case runs through both paths — the engine (Tensor<Float>, BLAS) and
// AttendReference (Double) — and each output is compared with the fixture elementwise, within the
// bounds of FixtureBounds.swift and ForwardErrorBound.swift (engine: B(Float) + B(Double);
// reference: 2·B(Double)). Shapes are checked first.
//
// Set ATTEND_FIXTURE_RATIOS=1 to print every comparison's worst error/bound ratio.

@Suite("NumPy golden fixtures")
struct FixtureRegressionTests {
    @Test("NumPy fixture matches both paths", arguments: KernelPath.supported, FixtureManifest.cases)
    func fixtureMatchesBothPaths(path: KernelPath, _ fixture: FixtureCase) throws {
        try KernelPath.withKernels(path) {
            let outputs = try FixtureRunner.outputs(of: fixture)
            for output in outputs { output.check(fixture) }
            FixtureRunner.checkMaskedRows(of: fixture, outputs)
        }
    }
}

@Suite("NumPy fixture manifest")
struct FixtureManifestTests {
    @Test("the manifest decodes and lists every case folder exactly once", arguments: KernelPath.supported)
    func manifestListsEveryFolder(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let manifest = try FixtureManifest.load()
            #expect(manifest.generator == "scripts/make_fixtures.py")
            let names = manifest.cases.map(\.name)
            #expect(Set(names).count == names.count, "case names repeat: \(names)")
            let folders = try FileManager.default.contentsOfDirectory(atPath: FixtureManifest.directory.path)
                .filter { $0 != "manifest.json" }
            #expect(
                Set(folders) == Set(names),
                "folders without a case: \(Set(folders).subtracting(names).sorted()); cases without a folder: \(Set(names).subtracting(folders).sorted())"
            )
            #expect(
                FixtureManifest.cases.count == manifest.cases.count,
                "the parameterized test sees \(FixtureManifest.cases.count) cases")
        }
    }
}

// MARK: - One output, both paths

/// The bound of one evaluation of an output in Float and in Double arithmetic, and the bounds
/// each path is held to against the fixture (itself a float64 evaluation; see FixtureBounds.swift).
struct EvaluationBounds {
    var float: [Double]
    var double: [Double]

    var engine: [Double] { zip(float, double).map(+) }
    var reference: [Double] { double.map { 2 * $0 } }

    init(float: [Double], double: [Double]) {
        (self.float, self.double) = (float, double)
    }

    /// Evaluates a bound formula for both arithmetics.
    init(_ bound: (ForwardErrorBound) throws -> [Double]) rethrows {
        self.init(float: try bound(ForwardErrorBound(Float.self)), double: try bound(ForwardErrorBound(Double.self)))
    }

    /// Evaluates a bound formula with several outputs for both arithmetics, one bounds per output.
    static func each(_ bound: (ForwardErrorBound) throws -> [[Double]]) rethrows -> [EvaluationBounds] {
        let (float, double) = (try bound(ForwardErrorBound(Float.self)), try bound(ForwardErrorBound(Double.self)))
        return zip(float, double).map { EvaluationBounds(float: $0, double: $1) }
    }
}

/// One output of a case: what each path computed, the fixture's expected array and the bounds.
struct FixtureOutput {
    /// The manifest's output name, plus the engine variant when an op is run several ways.
    var name: String
    var expected: ReferenceArray<Double>
    var engine: Result<Tensor<Float>, any Error>
    /// Nil when another output of the case already checks the reference for this array.
    var reference: Result<ReferenceArray<Double>, any Error>?
    var bounds: EvaluationBounds

    /// Shape first, then every element within its bound, for each path.
    func check(_ fixture: FixtureCase) {
        let context = "\(fixture.name) (op \(fixture.op)), output '\(name)'"
        switch engine {
        case .success(let tensor):
            Self.expectMatch(
                tensor.shape, tensor.scalars.map(Double.init), expected, bound: bounds.engine,
                "\(context), engine (Float)", op: fixture.op)
        case .failure(let error):
            Issue.record("\(context), engine (Float): \(error)")
        }
        switch reference {
        case .success(let array)?:
            Self.expectMatch(
                array.shape, array.values, expected, bound: bounds.reference, "\(context), reference (Double)",
                op: fixture.op)
        case .failure(let error)?:
            Issue.record("\(context), reference (Double): \(error)")
        case nil:
            break
        }
    }

    static func expectMatch(
        _ shape: [Int], _ values: [Double], _ expected: ReferenceArray<Double>, bound: [Double], _ context: String,
        op: String
    ) {
        #expect(shape == expected.shape, "\(context): shape \(shape), but the fixture has \(expected.shape)")
        guard shape == expected.shape else { return }
        let report = ErrorReport(actual: values, expected: expected.values, bound: bound)
        let index = multiIndex(report.worstIndex, shape: shape)
        #expect(
            report.worstRatio <= 1,
            """
            \(context): worst error/bound \(report.worstRatio) at \(index) (flat \(report.worstIndex)): \
            got \(report.actual), fixture \(report.expected), |error| \(Swift.abs(report.actual - report.expected)), \
            bound \(report.bound)
            """)
        if ProcessInfo.processInfo.environment["ATTEND_FIXTURE_RATIOS"] != nil {
            print(
                "fixture ratio: op \(op) | \(context) | worst error/bound \(report.worstRatio) | max |error| \(report.maxAbsError) | max bound \(bound.max() ?? 0)"
            )
        }
    }

    static func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
        var rest = Swift.max(flat, 0)
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

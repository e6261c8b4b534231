import Attend
import AttendReference
import RealModule

/// One output of a case on the three paths — the engine (Float, BLAS), the reference in Double
/// (the "exact" answer) and the reference in Float — with its elementwise bound.
public struct ComparedOutput {
    /// The output's name in the compare table (`output`, `weights` …).
    public var name: String
    /// The shape the engine returned.
    public var engineShape: [Int]
    /// The shape the Double reference returned (must equal ``engineShape`` for the case to pass).
    public var exactShape: [Int]
    /// The engine's values (Float, widened exactly), flat in row-major order.
    public var engine: [Double]
    /// The Double reference's values: the "exact" answer the errors are measured from.
    public var exact: [Double]
    /// The Float reference's values, widened: how far a straightforward Float computation lands.
    public var referenceFloat: [Double]
    /// The elementwise error bound from ``ErrorBounds`` (or a propagation), before the tolerance factor.
    public var bound: [Double]

    /// An output from the three paths' results; shapes are recorded, values flattened to Double.
    public init(
        _ name: String, engine: Tensor<Float>, exact: ReferenceArray<Double>, referenceFloat: ReferenceArray<Float>,
        bound: [Double]
    ) {
        self.name = name
        engineShape = engine.shape
        exactShape = exact.shape
        self.engine = engine.scalars.map { Double($0) }
        self.exact = exact.values
        self.referenceFloat = referenceFloat.values.map { Double($0) }
        self.bound = bound
    }
}

/// What running a case produced: its outputs, timings and flop count.
public struct CaseMeasurement {
    /// Each output of the case on the three paths.
    public var outputs: [ComparedOutput]
    /// Best time of the engine (after a first, untimed run).
    public var blasSeconds: Double
    /// Time of the Double reference.
    public var referenceSeconds: Double
    /// Floating-point operations of the engine's GEMM calls, when the op has any.
    public var flops: Double?
    /// How far the bound model's own Double forward values lie from the reference
    /// (‖model − exact‖∞ / ‖exact‖∞); nil when the case has no model. A large value means the
    /// bound was derived for a different computation, so the case cannot pass.
    public var modelDeviation: Double?

    /// A measurement from its parts.
    public init(
        outputs: [ComparedOutput], blasSeconds: Double, referenceSeconds: Double, flops: Double?,
        modelDeviation: Double? = nil
    ) {
        self.outputs = outputs
        self.blasSeconds = blasSeconds
        self.referenceSeconds = referenceSeconds
        self.flops = flops
        self.modelDeviation = modelDeviation
    }
}

/// A measured case, judged against its (scaled) bounds.
public struct CaseResult {
    /// The op's name as `attend compare` lists it (``CompareOp``'s raw value).
    public var op: String
    /// The case's name within the op.
    public var name: String
    /// The input shapes, as printed in the table.
    public var shapes: String
    /// max |engine − exact| over every output.
    public var maxAbsError = Double.nan
    /// ‖engine − exact‖∞ / ‖exact‖∞, the worst over the outputs (see ``ErrorReport/maxRelError``).
    public var maxRelError = Double.nan
    /// max |engine − exact| / (tolerance · bound) over every element: ≤ 1 passes.
    public var errorOverBound = Double.nan
    /// The same ratio for the Float reference: how the engine compares with a plain Float computation.
    public var referenceFloatErrorOverBound = Double.nan
    /// The engine's best time, in milliseconds.
    public var blasMilliseconds = Double.nan
    /// The Double reference's time, in milliseconds.
    public var referenceMilliseconds = Double.nan
    /// The engine's GEMM throughput, flops / time / 10⁹; nil when the op runs no GEMM.
    public var gflops: Double?
    /// Whether ``errorOverBound`` ≤ 1, the shapes agree and the bound model was trusted.
    public var passed = false
    /// Why the case failed or what to know about it (a shape mismatch, an untrusted bound, the error thrown).
    public var note: String?

    /// referenceMilliseconds / blasMilliseconds: how many times faster the engine ran than the reference.
    public var speedup: Double { referenceMilliseconds / blasMilliseconds }

    /// The largest bound model deviation tolerated: Double paths that differ only in summation
    /// order agree far more closely than this.
    public static let modelTolerance = 1e-9

    /// Judges `measurement`: the errors of every output against `tolerance · bound`, the timings in
    /// milliseconds, GFLOP/s from the flop count; fails when a shape differs or the bound model's
    /// ``CaseMeasurement/modelDeviation`` exceeds ``modelTolerance``.
    public init(op: String, name: String, shapes: String, measurement: CaseMeasurement, tolerance: Double) {
        self.op = op
        self.name = name
        self.shapes = shapes
        blasMilliseconds = measurement.blasSeconds * 1e3
        referenceMilliseconds = measurement.referenceSeconds * 1e3
        if let flops = measurement.flops, flops > 0, measurement.blasSeconds > 0 {
            gflops = flops / measurement.blasSeconds / 1e9
        }
        var (abs, rel, ratio, floatRatio) = (0.0, 0.0, 0.0, 0.0)
        var notes: [String] = []
        for output in measurement.outputs {
            guard output.engineShape == output.exactShape, output.engine.count == output.exact.count else {
                notes.append(
                    "\(output.name): engine shape \(formatShape(output.engineShape)) ≠ reference \(formatShape(output.exactShape))"
                )
                ratio = .infinity
                continue
            }
            let bound = output.bound.map { $0 * tolerance }
            let engine = ErrorReport(actual: output.engine, expected: output.exact, bound: bound)
            let float = ErrorReport(actual: output.referenceFloat, expected: output.exact, bound: bound)
            abs = Swift.max(abs, engine.maxAbsError)
            rel = Swift.max(rel, engine.maxRelError)
            ratio = Swift.max(ratio, engine.worstRatio)
            floatRatio = Swift.max(floatRatio, float.worstRatio)
        }
        (maxAbsError, maxRelError, errorOverBound, referenceFloatErrorOverBound) = (abs, rel, ratio, floatRatio)
        passed = ratio <= 1
        if let deviation = measurement.modelDeviation, !(deviation <= Self.modelTolerance) {
            notes.append(
                "the bound model's Double values deviate from the reference by \(deviation) (relative): bound not trusted"
            )
            passed = false
        }
        note = notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// A case that could not be measured (an op threw).
    public init(op: String, name: String, shapes: String, failure: String) {
        self.op = op
        self.name = name
        self.shapes = shapes
        note = failure
        passed = false
    }
}

/// ‖model − exact‖∞ / ‖exact‖∞ over several outputs.
public func modelDeviation(_ pairs: [(model: [Double], exact: [Double])]) -> Double {
    var worst = 0.0
    for (model, exact) in pairs {
        let scale = exact.reduce(0.0) { $1.isFinite ? Swift.max($0, Swift.abs($1)) : $0 }
        var difference = 0.0
        for (a, b) in zip(model, exact) where !(a == b) {
            difference = Swift.max(difference, (a - b).isNaN ? .infinity : Swift.abs(a - b))
        }
        worst = Swift.max(worst, scale > 0 ? difference / scale : difference)
    }
    return worst
}

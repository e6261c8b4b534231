/// The shape and strides of an operand, without its data: what a lowering plan is made from,
/// so a plan can be printed (``attend explain``) without allocating anything.
public struct TensorLayout: Sendable, Equatable, CustomStringConvertible {
    public var shape: [Int]
    public var strides: [Int]

    public init(shape: [Int], strides: [Int]) {
        self.shape = shape
        self.strides = strides
    }

    /// A row-major layout.
    public init(contiguous shape: [Int]) { self.init(shape: shape, strides: contiguousStrides(for: shape)) }

    public var description: String { "\(describe(shape)) strides \(describe(strides))" }
}

extension Tensor {
    /// This tensor's shape and strides.
    public var layout: TensorLayout { TensorLayout(shape: shape, strides: strides) }
}

/// One BLAS GEMM call as Attend will issue it (row-major CBLAS):
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, repeated `batchCount` times
/// with the operands' batch offsets.
public struct GEMMCall: Sendable, Equatable, CustomStringConvertible {
    /// `cblas_sgemm` or `cblas_dgemm`.
    public var routine: String
    public var m: Int, n: Int, k: Int
    /// Whether A / B are passed as `CblasTrans` (read through their leading dimension
    /// transposed, with no copy).
    public var transA: Bool, transB: Bool
    public var lda: Int, ldb: Int, ldc: Int
    /// How many times the call repeats over batch offsets (1 for a single GEMM).
    public var batchCount: Int
    public var alpha: Double
    public var beta: Double

    /// 2·m·n·k·batchCount.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batchCount) }

    public var description: String {
        let batch = batchCount == 1 ? "" : " × \(batchCount) (batched)"
        return "\(routine) M=\(m) N=\(n) K=\(k) transA=\(transA ? "T" : "N") transB=\(transB ? "T" : "N") "
            + "lda=\(lda) ldb=\(ldb) ldc=\(ldc) alpha=\(alpha) beta=\(beta)\(batch)"
    }
}

/// A copy the lowering must make because an operand's strides cannot be handed to BLAS.
public struct OperandCopy: Sendable, Equatable, CustomStringConvertible {
    /// Which operand is copied (`"A"`, `"B"`, `"operand 1"` …).
    public var operand: String
    public var shape: [Int]
    public var bytes: Int
    public var reason: String

    public var description: String { "copy \(operand) \(describe(shape)) (\(bytes) bytes): \(reason)" }
}

/// What a GEMM-lowered op will do, described before doing it: the copies, the BLAS calls and
/// the shape of every intermediate. Tests use it to prove that an op lowers with no copies;
/// `attend explain` prints it.
public struct LoweringPlan: Sendable, Equatable, CustomStringConvertible {
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        case copy(OperandCopy)
        case gemm(GEMMCall)
        /// A view (no data moves): permute, reshape, broadcast.
        case view(String)
        /// An elementwise or reduction pass over an intermediate.
        case pass(String)

        public var description: String {
            switch self {
            case .copy(let copy): return copy.description
            case .gemm(let call): return call.description
            case .view(let text): return "view: \(text)"
            case .pass(let text): return "pass: \(text)"
            }
        }
    }

    public var op: String
    public var steps: [Step]
    /// Intermediates by name with their shapes, in the order they appear.
    public var intermediates: [Intermediate]
    public var outputShape: [Int]

    public struct Intermediate: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
    }

    /// The copies in the plan (empty when everything is passed to BLAS as views).
    public var copies: [OperandCopy] {
        steps.compactMap { if case .copy(let c) = $0 { c } else { nil } }
    }

    /// The GEMM calls in the plan.
    public var gemmCalls: [GEMMCall] {
        steps.compactMap { if case .gemm(let g) = $0 { g } else { nil } }
    }

    /// Total bytes copied.
    public var copiedBytes: Int { copies.reduce(0) { $0 + $1.bytes } }

    public var description: String {
        var lines = ["\(op) → output \(describe(outputShape))"]
        for (i, step) in steps.enumerated() { lines.append("  \(i + 1). \(step)") }
        if !intermediates.isEmpty {
            lines.append("  intermediates:")
            for item in intermediates { lines.append("    \(item.name) \(describe(item.shape))") }
        }
        lines.append("  copies: \(copies.isEmpty ? "none" : "\(copies.count) (\(copiedBytes) bytes)")")
        return lines.joined(separator: "\n")
    }
}

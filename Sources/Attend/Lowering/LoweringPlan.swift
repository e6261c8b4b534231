/// The shape and strides of an operand, without its data: what a lowering plan is made from,
/// so a plan can be printed (`attend explain`) without allocating anything.
public struct TensorLayout: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each dimension, outermost first (`[B, H, L, D]`).
    public var shape: [Int]
    /// The distance in elements between neighbours along each dimension: element `[i₀, i₁, …]` sits at
    /// offset `Σ iₖ · strides[k]`. A 0 stride is a broadcast dimension; a stride out of row-major order
    /// is a transposed view.
    public var strides: [Int]

    /// A layout with the given shape and strides (no check: a layout describes, it does not own data).
    /// - SeeAlso: ``init(contiguous:)``, ``Tensor/layout``
    public init(shape: [Int], strides: [Int]) {
        self.shape = shape
        self.strides = strides
    }

    /// A row-major layout.
    public init(contiguous shape: [Int]) { self.init(shape: shape, strides: contiguousStrides(for: shape)) }

    /// `[2, 4, 10, 32] strides [1280, 320, 32, 1]`: the shape, then the strides.
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
    /// The GEMM dimensions: `C` is `m × n`, the inner (summed) dimension is `k`.
    public var m: Int, n: Int, k: Int
    /// Whether A / B are passed as `CblasTrans` (read through their leading dimension
    /// transposed, with no copy).
    public var transA: Bool, transB: Bool
    /// Leading dimensions in elements: the distance between consecutive rows of A, B and C as stored
    /// (row-major; for a transposed operand, its stored rows).
    public var lda: Int, ldb: Int, ldc: Int
    /// How many times the call repeats over batch offsets (1 for a single GEMM).
    public var batchCount: Int
    /// The scale of the product: `C = alpha · op(A) · op(B) + beta · C` (1 for a plain product;
    /// `1/√d_k` when attention folds its scale into QKᵀ).
    public var alpha: Double
    /// The weight of C's previous contents: 0 overwrites C, 1 accumulates into it (a bias already
    /// broadcast into C).
    public var beta: Double

    /// 2·m·n·k·batchCount.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batchCount) }

    /// The call as `attend explain` prints it: routine, `M N K`, `transA`/`transB` (`T`/`N`),
    /// `lda ldb ldc`, `alpha beta` and, when batched, `× batchCount (batched)`.
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
    /// The shape of the copied operand.
    public var shape: [Int]
    /// The bytes written: element count × scalar size.
    public var bytes: Int
    /// Why the strides could not be passed to BLAS (for example: neither of the last two strides is 1).
    public var reason: String

    /// `copy A [4, 8] (128 bytes): reason`.
    public var description: String { "copy \(operand) \(describe(shape)) (\(bytes) bytes): \(reason)" }
}

/// What a GEMM-lowered op will do, described before doing it: the copies, the BLAS calls and
/// the shape of every intermediate. Tests use it to prove that an op lowers with no copies;
/// `attend explain` prints it.
public struct LoweringPlan: Sendable, Equatable, CustomStringConvertible {
    /// One step of a lowering, in execution order.
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        /// A copy of an operand into contiguous memory (the steps tests prove absent).
        case copy(OperandCopy)
        /// One BLAS call (or a batch of identical calls over offsets).
        case gemm(GEMMCall)
        /// A view (no data moves): permute, reshape, broadcast.
        case view(String)
        /// An elementwise or reduction pass over an intermediate.
        case pass(String)

        /// The step as one line of `attend explain`: a copy or GEMM call as its own `description`,
        /// `view: …` or `pass: …`.
        public var description: String {
            switch self {
            case .copy(let copy): return copy.description
            case .gemm(let call): return call.description
            case .view(let text): return "view: \(text)"
            case .pass(let text): return "pass: \(text)"
            }
        }
    }

    /// The op's name as it throws errors (`matmul`, `einsum`, `multiHeadAttention` …).
    public var op: String
    /// What the op does, in order.
    public var steps: [Step]
    /// Intermediates by name with their shapes, in the order they appear.
    public var intermediates: [Intermediate]
    /// The shape of the op's result.
    public var outputShape: [Int]

    /// A named intermediate tensor of the plan and its shape (`scores [B, H, Lq, Lk]`).
    public struct Intermediate: Sendable, Equatable {
        /// The intermediate's name (`scores`, `weights` …).
        public var name: String
        /// Its shape.
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

    /// The plan as `attend explain` prints it: `op → output [shape]`, the numbered steps, the
    /// intermediates with their shapes and the copies (`none`, or their count and bytes).
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

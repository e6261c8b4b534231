import ArgumentParser
import Attend
import Foundation

/// `attend explain <op> <shapes…>` — prints the library's lowering plan for operands of these
/// shapes: the BLAS calls (M, N, K, transA/B, lda/ldb/ldc, batch count), the copies with their
/// byte sizes, and the intermediates. Nothing is computed.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the BLAS calls, copies and intermediates an op will make, without running it.",
        discussion: """
            attend explain matmul 2x4x10x32 2x4x10x32^T          Q·Kᵀ: transB, no copies
            attend explain matmul 2x4x10x32 2x4x10x32 --transpose-b   (the same)
            attend explain matmul 2x4x10x32 2x4x32x10            B contiguous
            attend explain einsum "bhld,bhmd->bhlm" 2x4x10x32 2x4x10x32
            attend explain sdpa 2x8x512x64 [--causal]            q = k = v shape (or three shapes q k v)
            attend explain linear 2x128x512 1536x512             x [..., in], weight [out, in]
            attend explain conv2d 1x64x56x56 64x64x3x3 [--stride 1] [--padding 1] [--no-bias]
            attend explain conv1d 100 3 [--stride 1]             signal [N], kernel [K] (or [B,C,L] [O,C,K])
            attend explain im2col 1x3x32x32 --kernel 3 [--stride 1] [--padding 1]
            attend explain patchify 2x3x224x224 --patch 16
            attend explain sqdist 1000x64 500x64 [--method gemm] [--centered]
            attend explain mha 2x128x512 --num-heads 8 [--causal]     self-attention x [B, L, E] (or three shapes q k v)
            attend explain encoder-layer 1x128x768 --num-heads 12 --feed-forward 3072 [--norm-first] [--causal]

            Shapes are sizes separated by 'x' (or commas). A trailing ^T (or .T) means the transposed view — last two dimensions swapped, strides swapped, no copy — of a contiguous tensor of the written shape, like k.transposed(-2, -1); --transpose-b applies it to matmul's second operand. Plans are for Float (cblas_sgemm) unless --double. Nothing is computed and no operand is allocated: every plan is made from shapes and strides.
            """)

    static let ops = [
        "matmul", "einsum", "sdpa", "linear", "conv1d", "conv2d", "im2col", "patchify", "sqdist", "mha",
        "encoder-layer",
    ]

    @Argument(help: ArgumentHelp("The op: \(ops.joined(separator: ", ")).", valueName: "op"))
    var op: String

    @Argument(
        help: ArgumentHelp(
            "Operand shapes such as 2x4x10x32 or 2x4x10x32^T (einsum: the equation first).", valueName: "shapes"))
    var operands: [String] = []

    @Flag(
        name: .customLong("transpose-b"),
        help: "matmul: B is the transposed view of a contiguous tensor of the given shape (as ^T).")
    var transposeB = false

    @Flag(help: "sdpa, mha, encoder-layer: plan with the causal mask.")
    var causal = false

    @Option(help: ArgumentHelp("conv1d/conv2d/im2col stride: s or sh,sw.", valueName: "s"))
    var stride: IntPair?

    @Option(help: ArgumentHelp("conv1d/conv2d/im2col zero padding: p or ph,pw.", valueName: "p"))
    var padding: IntPair?

    @Option(help: ArgumentHelp("im2col kernel size: k or kh,kw.", valueName: "k"))
    var kernel: IntPair?

    @Option(help: "patchify: the patch side P.")
    var patch: Int?

    @Option(help: "sqdist: automatic, broadcasting or gemm.")
    var method: DistanceMethodArgument = .automatic

    @Flag(help: "sqdist: subtract the common mean first (gemm method).")
    var centered = false

    @Flag(name: .customLong("no-bias"), help: "linear/conv1d/conv2d: plan without the bias.")
    var noBias = false

    @Option(name: .customLong("num-heads"), help: "mha, encoder-layer: the number of heads H.")
    var numHeads: Int?

    @Option(name: .customLong("feed-forward"), help: "encoder-layer: the feed-forward width F.")
    var feedForward: Int?

    @Flag(name: .customLong("norm-first"), help: "encoder-layer: pre-norm.")
    var normFirst = false

    @Flag(help: "Plan for Double (cblas_dgemm) instead of Float.")
    var double = false

    func run() throws {
        let text = double ? try explanation(Double.self) : try explanation(Float.self)
        print(text)
    }

    private var context: ErrorContext { ErrorContext(command: "attend explain \(op)") }

    private func shapes(_ texts: [String]) throws -> [ShapeOperand] {
        try texts.map { text in
            do {
                return try ShapeOperand(parsing: text)
            } catch {
                throw CLIError("\(context.command): \(error)")
            }
        }
    }

    private func expectCount(_ range: ClosedRange<Int>, _ what: String) throws {
        guard range.contains(operands.count) else {
            throw CLIError(
                "\(context.command): expected \(what), got \(operands.count) operand\(operands.count == 1 ? "" : "s")")
        }
    }

    /// The printed plan: a header with every operand's layout, the plan, and its GEMM flops.
    func explanation<Scalar: TensorScalar>(_: Scalar.Type) throws -> String {
        var lines: [String] = []
        let plan: LoweringPlan
        var planTitle = "plan:"
        func list(_ names: [String], _ operands: [ShapeOperand]) {
            lines.append("operands:")
            let width = names.map(\.count).max() ?? 0
            for (name, operand) in zip(names, operands) {
                lines.append("  " + name + String(repeating: " ", count: width - name.count) + "  \(operand)")
            }
        }
        switch op {
        case "matmul":
            try expectCount(2...2, "two shapes, A and B (e.g. 2x4x10x32 2x4x10x32^T)")
            var parsed = try shapes(operands)
            if transposeB { parsed[1] = parsed[1].toggledTranspose }
            list(["A", "B"], parsed)
            let (a, b) = (parsed[0].layout, parsed[1].layout)
            plan = try context.attributing(to: "A \(formatShape(a.shape)) · B \(formatShape(b.shape))") {
                try matmulPlan(a, b, scalar: Scalar.self)
            }
        case "linear":
            try expectCount(2...2, "two shapes, x [..., in] and weight [out, in] (e.g. 2x128x512 1536x512)")
            let parsed = try shapes(operands)
            list(["x", "weight"], parsed)
            let (x, w) = (parsed[0].layout, parsed[1].layout)
            guard w.shape.count == 2 else {
                throw context.error("weight \(formatShape(w.shape))", "expected a 2-D weight [out, in]")
            }
            plan = try context.attributing(to: "x \(formatShape(x.shape)), weight \(formatShape(w.shape))") {
                try linearPlan(input: x, weight: w, hasBias: !noBias, scalar: Scalar.self)
            }
        case "einsum":
            guard let equation = operands.first else {
                throw CLIError(
                    "\(context.command): expected the equation and then one shape per operand (e.g. \"bhld,bhmd->bhlm\" 2x4x10x32 2x4x10x32)"
                )
            }
            let parsed = try shapes(Array(operands.dropFirst()))
            list(parsed.indices.map { "operand \($0)" }, parsed)
            plan = try context.attributing(to: "\"\(equation)\"") {
                try einsumPlan(equation, parsed.map(\.layout), scalar: Scalar.self)
            }
        case "sdpa":
            try expectCount(1...3, "one shape (queries = keys = values, e.g. 2x8x512x64) or three (q k v)")
            guard operands.count != 2 else {
                throw CLIError("\(context.command): expected one shape (q = k = v) or three (q k v), got 2")
            }
            let parsed = try shapes(operands)
            let (q, k, v) = parsed.count == 1 ? (parsed[0], parsed[0], parsed[0]) : (parsed[0], parsed[1], parsed[2])
            list(["queries", "keys", "values"], [q, k, v])
            let fused = try context.attributing(to: "q, k, v") {
                try fusedAttentionPlan(
                    queries: q.layout, keys: k.layout, values: v.layout,
                    mask: causal ? AttentionMask<Scalar>.causal : .none)
            }
            lines.append(
                "fused plan (the default unless the weights are requested; kernel path \(KernelPath.active.rawValue)):")
            lines.append(fused.description)
            planTitle = "materialized plan (algorithm .materialized, or when the weights are requested):"
            plan = try context.attributing(to: "q, k, v") {
                try scaledDotProductAttentionPlan(
                    queries: q.layout, keys: k.layout, values: v.layout,
                    mask: causal ? AttentionMask<Scalar>.causal : .none)
            }
        case "conv2d":
            try expectCount(2...2, "two shapes, input [B, C, H, W] and weight [O, C, kh, kw]")
            let parsed = try shapes(operands)
            list(["input", "weight"], parsed)
            let (s, p) = (stride ?? IntPair(1, 1), padding ?? IntPair(0, 0))
            plan = try context.attributing(to: "input, weight (stride \(s), padding \(p))") {
                try conv2dPlan(
                    input: parsed[0].layout, weight: parsed[1].layout, hasBias: !noBias, stride: s.tuple,
                    padding: p.tuple,
                    scalar: Scalar.self)
            }
        case "conv1d":
            try expectCount(2...2, "two shapes, signal [N] and kernel [K] (or input [B, C, L] and weight [O, C, K])")
            let parsed = try shapes(operands)
            list(["signal", "kernel"], parsed)
            let s = stride?.width ?? 1
            let p = padding?.width ?? 0
            plan = try context.attributing(to: "signal, kernel (stride \(s))") {
                parsed[0].layout.shape.count == 1
                    ? try correlatePlan(
                        signal: parsed[0].layout, kernel: parsed[1].layout, stride: s, scalar: Scalar.self)
                    : try conv1dPlan(
                        input: parsed[0].layout, weight: parsed[1].layout, hasBias: !noBias, stride: s, padding: p,
                        scalar: Scalar.self)
            }
        case "im2col":
            try expectCount(1...1, "one shape, input [B, C, H, W] (and --kernel k)")
            guard let kernel else {
                throw CLIError("\(context.command): --kernel: expected the kernel size (k or kh,kw)")
            }
            let parsed = try shapes(operands)
            list(["input"], parsed)
            let (s, p) = (stride ?? IntPair(1, 1), padding ?? IntPair(0, 0))
            plan = try context.attributing(to: "input (kernel \(kernel), stride \(s), padding \(p))") {
                try im2colPlan(
                    parsed[0].layout, kernel: kernel.tuple, stride: s.tuple, padding: p.tuple, scalar: Scalar.self)
            }
        case "patchify":
            try expectCount(1...1, "one shape, image [B, C, H, W] (and --patch P)")
            guard let patch else { throw CLIError("\(context.command): --patch: expected the patch side P") }
            let parsed = try shapes(operands)
            list(["image"], parsed)
            plan = try context.attributing(to: "image (patch \(patch))") {
                try patchifyPlan(parsed[0].layout, patch: patch, scalar: Scalar.self)
            }
        case "sqdist":
            try expectCount(2...2, "two shapes, a [..., N, D] and b [..., M, D]")
            let parsed = try shapes(operands)
            list(["a", "b"], parsed)
            plan = try context.attributing(to: "a, b") {
                try squaredDistancesPlan(
                    parsed[0].layout, parsed[1].layout, method: method.method, centered: centered, scalar: Scalar.self)
            }
        case "mha":
            try expectCount(1...3, "one shape (self-attention x [B, L, E], e.g. 2x128x512) or three (query key value)")
            guard operands.count != 2 else {
                throw CLIError("\(context.command): expected one shape (x) or three (q k v), got 2")
            }
            guard let numHeads else {
                throw CLIError("\(context.command): --num-heads: expected the number of heads H")
            }
            let parsed = try shapes(operands)
            let (q, k, v) = parsed.count == 1 ? (parsed[0], parsed[0], parsed[0]) : (parsed[0], parsed[1], parsed[2])
            list(["query", "key", "value"], [q, k, v])
            plan = try context.attributing(to: "query, key, value (--num-heads \(numHeads))") {
                try multiHeadAttentionPlan(
                    query: q.layout, key: k.layout, value: v.layout, numHeads: numHeads,
                    selfAttention: parsed.count == 1,
                    mask: causal ? AttentionMask<Scalar>.causal : .none, scalar: Scalar.self)
            }
        case "encoder-layer":
            try expectCount(1...1, "one shape, x [B, L, E] (and --num-heads H --feed-forward F)")
            guard let numHeads else {
                throw CLIError("\(context.command): --num-heads: expected the number of heads H")
            }
            guard let feedForward else {
                throw CLIError("\(context.command): --feed-forward: expected the feed-forward width F")
            }
            let parsed = try shapes(operands)
            list(["x"], parsed)
            plan = try context.attributing(to: "x (--num-heads \(numHeads), --feed-forward \(feedForward))") {
                try transformerEncoderLayerPlan(
                    input: parsed[0].layout, numHeads: numHeads, feedForwardDim: feedForward, normFirst: normFirst,
                    mask: causal ? AttentionMask<Scalar>.causal : .none, scalar: Scalar.self)
            }
        default:
            throw CLIError("attend explain: unknown op \"\(op)\"; expected one of \(Self.ops.joined(separator: ", "))")
        }
        lines.append(planTitle)
        lines.append(plan.description)
        let calls = plan.gemmCalls
        let flops = calls.reduce(0) { $0 + $1.flops }
        lines.append(
            calls.isEmpty
                ? "flops: no GEMM in this plan"
                : "flops: \(Int(flops)) in \(calls.count) GEMM call\(calls.count == 1 ? "" : "s") (2·M·N·K·batch each)")
        return lines.joined(separator: "\n")
    }
}

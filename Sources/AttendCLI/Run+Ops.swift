import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run` for the tensor ops: einsum, matmul, softmax, reductions, distances,
// convolutions, patchify, layernorm, linear.

extension RunSession {
    /// Runs the chosen backend's computation — which loads its own inputs — and writes its
    /// results. Nothing is written unless every step succeeded.
    func run(blas: () throws -> [Tensor<Float>], reference: () throws -> [ReferenceArray<Double>]) throws {
        switch backend {
        case .blas: try write(try blas())
        case .reference: try write(try reference())
        }
    }
}

/// `--input` given a fixed number of times.
private func operands(_ paths: [String], count: Int, session: RunSession, names: String) throws -> [InputFile] {
    guard paths.count == count else {
        throw session.error("--input", "expected \(count == 1 ? "one input" : "\(count) inputs") (\(names)), got \(paths.count)")
    }
    return paths.map { InputFile("--input", $0) }
}

struct RunEinsum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "einsum",
        abstract: "Einstein summation in NumPy / PyTorch notation.",
        discussion: """
            attend run einsum --equation "bhld,bhmd->bhlm" \\
                --input a.npy --input b.npy --output out.npy

            Operands are given in equation order. Implicit output ("ij,jk"), "..." and repeated indices ("ii->i") work as in NumPy. The blas backend lowers each pairwise contraction onto one batched GEMM (see 'attend explain einsum').
            """)

    @Option(help: ArgumentHelp("The equation, e.g. \"bhld,bhmd->bhlm\".", valueName: "equation"))
    var equation: String

    @Option(name: .customLong("input"), help: ArgumentHelp("An operand (repeat, in equation order).", valueName: "a.npy"))
    var inputs: [String] = []

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "einsum", options: options)
        guard !inputs.isEmpty else {
            throw session.error("--input", "expected at least one operand (--input a.npy, repeated in equation order)")
        }
        let files = inputs.map { InputFile("--input", $0) }
        let label = "--equation \"\(equation)\" with \(files.map(\.path).joined(separator: ", "))"
        try session.run(
            blas: {
                let tensors = try files.map(session.loader.floatTensor)
                return [try session.attributing(to: label) { try einsum(equation, tensors) }]
            },
            reference: {
                let arrays = try files.map(session.loader.doubleArray)
                return [try session.attributing(to: label) { try Reference.einsum(equation, arrays) }]
            })
    }
}

struct RunMatmul: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "Matrix product with torch.matmul semantics (batch dimensions broadcast).",
        discussion: """
            attend run matmul --input a.npy --input b.npy --output out.npy

            a [..., M, K] · b [..., K, N] → [..., M, N]; a 1-D operand is a row (a) or column (b) vector.
            """)

    @Option(name: .customLong("input"), help: ArgumentHelp("A, then B (give --input twice).", valueName: "a.npy"))
    var inputs: [String] = []

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "matmul", options: options)
        let files = try operands(inputs, count: 2, session: session, names: "a.npy and b.npy")
        let label = "\(files[0].label) · \(files[1].label)"
        try session.run(
            blas: {
                let a = try session.loader.floatTensor(files[0]), b = try session.loader.floatTensor(files[1])
                return [try session.attributing(to: label) { try matmul(a, b) }]
            },
            reference: {
                let a = try session.loader.doubleArray(files[0]), b = try session.loader.doubleArray(files[1])
                return [try session.attributing(to: label) { try Reference.matmul(a, b) }]
            })
    }
}

/// `--input x.npy --dim d` for softmax and log-softmax.
struct LineWiseArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The input array.", valueName: "x.npy"))
    var input: String

    @Option(parsing: .unconditional, help: "The dimension to normalize over (negative counts from the end).")
    var dim: Int = -1
}

extension LineWiseArguments {
    /// Runs one line-wise op on `--input` through the chosen backend: the shared body of
    /// `run softmax` and `run logsoftmax`.
    func run(
        op: String, options: RunOptions,
        blas: @escaping (Tensor<Float>, Int) throws -> Tensor<Float>,
        reference: @escaping (ReferenceArray<Double>, Int) throws -> ReferenceArray<Double>
    ) throws {
        let session = try RunSession(op: op, options: options)
        let file = InputFile("--input", input), dim = dim
        try session.run(
            blas: {
                let x = try session.loader.floatTensor(file)
                return [try session.attributing(to: "--dim \(dim)") { try blas(x, dim) }]
            },
            reference: {
                let x = try session.loader.doubleArray(file)
                return [try session.attributing(to: "--dim \(dim)") { try reference(x, dim) }]
            })
    }
}

struct RunSoftmax: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softmax",
        abstract: "Numerically stable softmax along one dimension.",
        discussion: """
            attend run softmax --input x.npy --dim -1 --output out.npy

            A line that is entirely -inf gives zeros (PyTorch gives NaN).
            """)

    @OptionGroup var arguments: LineWiseArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        try arguments.run(
            op: "softmax", options: options,
            blas: { try $0.softmax(dim: $1) }, reference: { try Reference.softmax($0, dim: $1) })
    }
}

struct RunLogSoftmax: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logsoftmax",
        abstract: "log softmax along one dimension (a line of all -inf gives all -inf).",
        discussion: "attend run logsoftmax --input x.npy --dim -1 --output out.npy")

    @OptionGroup var arguments: LineWiseArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        try arguments.run(
            op: "logsoftmax", options: options,
            blas: { try $0.logSoftmax(dim: $1) }, reference: { try Reference.logSoftmax($0, dim: $1) })
    }
}

/// `--input x.npy [--dim d …] [--keepdim]` for the reductions.
struct ReductionArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The input array.", valueName: "x.npy"))
    var input: String

    @Option(
        name: .customLong("dim"), parsing: .unconditionalSingleValue,
        help: "A dimension to reduce (repeat for several; negative counts from the end). Default: all dimensions.")
    var dims: [Int] = []

    @Flag(name: .customLong("keepdim"), help: "Keep the reduced dimensions with size 1.")
    var keepDim = false

    var label: String { dims.isEmpty ? "(all dimensions)" : dims.map { "--dim \($0)" }.joined(separator: " ") }
}

extension ReductionArguments {
    /// Runs one reduction on `--input` through the chosen backend: the shared body of
    /// `run sum`, `run mean` and `run std`.
    func run(
        op: String, options: RunOptions,
        blas: @escaping (Tensor<Float>, [Int], Bool) throws -> Tensor<Float>,
        reference: @escaping (ReferenceArray<Double>, [Int], Bool) throws -> ReferenceArray<Double>
    ) throws {
        let session = try RunSession(op: op, options: options)
        let file = InputFile("--input", input), (dims, keep, label) = (dims, keepDim, label)
        try session.run(
            blas: {
                let x = try session.loader.floatTensor(file)
                return [try session.attributing(to: label) { try blas(x, dims, keep) }]
            },
            reference: {
                let x = try session.loader.doubleArray(file)
                return [try session.attributing(to: label) { try reference(x, dims, keep) }]
            })
    }
}

struct RunSum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sum",
        abstract: "Σ over dimensions (accumulated in Double on the blas backend).",
        discussion: "attend run sum --input x.npy --dim 1 --output out.npy")

    @OptionGroup var arguments: ReductionArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        try arguments.run(
            op: "sum", options: options,
            blas: { try $0.sum(dims: $1, keepDim: $2) }, reference: { try Reference.sum($0, dims: $1, keepDim: $2) })
    }
}

struct RunMean: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mean",
        abstract: "Arithmetic mean over dimensions.",
        discussion: "attend run mean --input x.npy --dim 1 --output out.npy")

    @OptionGroup var arguments: ReductionArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        try arguments.run(
            op: "mean", options: options,
            blas: { try $0.mean(dims: $1, keepDim: $2) }, reference: { try Reference.mean($0, dims: $1, keepDim: $2) })
    }
}

struct RunStd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "std",
        abstract: "Standard deviation over dimensions — unbiased (÷ N − 1) by default, like PyTorch.",
        discussion: """
            attend run std --input x.npy --dim 1 [--unbiased|--no-unbiased] --output out.npy

            --unbiased (the default, as torch.std) divides the squared deviations by N − 1 (Bessel's correction); --no-unbiased divides by N. N = 1 with --unbiased gives NaN.
            """)

    @OptionGroup var arguments: ReductionArguments

    @Flag(inversion: .prefixedNo, help: "Divide by N − 1 (default, as torch.std) or, with --no-unbiased, by N.")
    var unbiased = true

    @OptionGroup var options: RunOptions

    func run() throws {
        let unbiased = unbiased
        try arguments.run(
            op: "std", options: options,
            blas: { try $0.standardDeviation(dims: $1, unbiased: unbiased, keepDim: $2) },
            reference: { try Reference.standardDeviation($0, dims: $1, unbiased: unbiased, keepDim: $2) })
    }
}

/// `--method` for the distance op.
enum DistanceMethodArgument: String, ExpressibleByArgument, CaseIterable {
    case automatic, broadcasting, gemm

    var method: DistanceMethod {
        switch self {
        case .automatic: .automatic
        case .broadcasting: .broadcasting
        case .gemm: .gemm
        }
    }
}

struct RunSquaredDistances: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqdist",
        abstract: "Pairwise squared Euclidean distances: out[..., n, m] = Σ_d (a[..., n, d] − b[..., m, d])².",
        discussion: """
            attend run sqdist --input a.npy --input b.npy --output out.npy

            a [..., N, D], b [..., M, D] → [..., N, M]. --method gemm uses ‖a‖² + ‖b‖² − 2·a·bᵀ (one GEMM; it loses digits when the points are far from the origin — add --centered); broadcasting sums (a − b)² directly; automatic picks by size. The reference backend always sums (a − b)².
            """)

    @Option(name: .customLong("input"), help: ArgumentHelp("a, then b (give --input twice).", valueName: "a.npy"))
    var inputs: [String] = []

    @Option(help: "automatic, broadcasting or gemm.")
    var method: DistanceMethodArgument = .automatic

    @Flag(help: "Subtract the points' common mean first (for --method gemm).")
    var centered = false

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "sqdist", options: options)
        let files = try operands(inputs, count: 2, session: session, names: "a.npy and b.npy")
        let label = "\(files[0].label), \(files[1].label)"
        try session.run(
            blas: {
                let a = try session.loader.floatTensor(files[0]), b = try session.loader.floatTensor(files[1])
                return [try session.attributing(to: label) { try squaredDistances(a, b, method: method.method, centered: centered) }]
            },
            reference: {
                let a = try session.loader.doubleArray(files[0]), b = try session.loader.doubleArray(files[1])
                return [try session.attributing(to: label) { try Reference.squaredDistances(a, b) }]
            })
    }
}

struct RunConv1d: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv1d",
        abstract: "1-D cross-correlation (PyTorch's conv1d: the kernel is not flipped).",
        discussion: """
            attend run conv1d --input signal.npy --kernel k.npy [--stride 1] --output out.npy

            signal [N] and kernel [K] → [(N − K)/stride + 1]: out[i] = Σ_k signal[i·stride + k]·kernel[k].

            Batched form: input [B, C, L] and kernel [O, C, K] (with --bias [O], --padding p) → [B, O, Lout], as torch.nn.functional.conv1d.
            """)

    @Option(help: ArgumentHelp("The signal [N], or a batch [B, C, L].", valueName: "signal.npy"))
    var input: String

    @Option(help: ArgumentHelp("The kernel [K], or weights [O, C, K].", valueName: "k.npy"))
    var kernel: String

    @Option(help: "Step between windows.")
    var stride: Int = 1

    @Option(help: "Zeros added on both sides (batched form only).")
    var padding: Int = 0

    @Option(help: ArgumentHelp("Per-output-channel bias [O] (batched form only).", valueName: "b.npy"))
    var bias: String?

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "conv1d", options: options)
        let signalFile = InputFile("--input", input), kernelFile = InputFile("--kernel", kernel)
        let biasFile = bias.map { InputFile("--bias", $0) }
        let label = "\(signalFile.label), \(kernelFile.label)" + (biasFile.map { ", \($0.label)" } ?? "")
            + " (--stride \(stride)\(padding == 0 ? "" : ", --padding \(padding)"))"
        func checkPlainForm(_ rank: Int) throws {
            if rank == 1, padding != 0 || biasFile != nil {
                throw session.error(
                    padding != 0 ? "--padding \(padding)" : biasFile!.label,
                    "--padding and --bias apply to the batched form (input [B, C, L], kernel [O, C, K]); the signal is 1-D")
            }
        }
        try session.run(
            blas: {
                let x = try session.loader.floatTensor(signalFile), k = try session.loader.floatTensor(kernelFile)
                let b = try biasFile.map(session.loader.floatTensor)
                try checkPlainForm(x.rank)
                return [try session.attributing(to: label) {
                    x.rank == 1
                        ? try correlate(signal: x, kernel: k, stride: stride)
                        : try conv1d(x, weight: k, bias: b, stride: stride, padding: padding)
                }]
            },
            reference: {
                let x = try session.loader.doubleArray(signalFile), k = try session.loader.doubleArray(kernelFile)
                let b = try biasFile.map(session.loader.doubleArray)
                try checkPlainForm(x.rank)
                return [try session.attributing(to: label) {
                    x.rank == 1
                        ? try Reference.correlate(signal: x, kernel: k, stride: stride)
                        : try Reference.conv1d(x, weight: k, bias: b, stride: stride, padding: padding)
                }]
            })
    }
}

/// `2` or `2,3`: one value for both spatial dimensions, or (height, width).
struct IntPair: ExpressibleByArgument, CustomStringConvertible {
    var height: Int, width: Int

    init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch parts.count {
        case 1: guard let value = parts[0] else { return nil }; (height, width) = (value, value)
        case 2: guard let h = parts[0], let w = parts[1] else { return nil }; (height, width) = (h, w)
        default: return nil
        }
    }

    var tuple: (Int, Int) { (height, width) }
    var description: String { height == width ? "\(height)" : "\(height),\(width)" }
}

struct RunConv2d: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv2d",
        abstract: "2-D convolution (torch.nn.functional.conv2d, groups 1), lowered as im2col + GEMM.",
        discussion: """
            attend run conv2d --input x.npy --weight w.npy [--bias b.npy] \\
                [--stride 1] [--padding 0] --output out.npy

            input [B, C, H, W], weight [O, C, kh, kw], bias [O] → [B, O, oh, ow]. --stride and --padding take one value or "h,w".
            """)

    @Option(help: ArgumentHelp("The input [B, C, H, W].", valueName: "x.npy"))
    var input: String

    @Option(help: ArgumentHelp("The kernels [O, C, kh, kw].", valueName: "w.npy"))
    var weight: String

    @Option(help: ArgumentHelp("The bias [O].", valueName: "b.npy"))
    var bias: String?

    @Option(help: ArgumentHelp("Stride: s or sh,sw.", valueName: "s"))
    var stride = IntPair(1, 1)

    @Option(help: ArgumentHelp("Zero padding: p or ph,pw.", valueName: "p"))
    var padding = IntPair(0, 0)

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "conv2d", options: options)
        let x = InputFile("--input", input), w = InputFile("--weight", weight), b = bias.map { InputFile("--bias", $0) }
        let label = "\(x.label), \(w.label)" + (b.map { ", \($0.label)" } ?? "") + " (--stride \(stride), --padding \(padding))"
        try session.run(
            blas: {
                let (xt, wt, bt) = (try session.loader.floatTensor(x), try session.loader.floatTensor(w), try b.map(session.loader.floatTensor))
                return [try session.attributing(to: label) { try conv2d(xt, weight: wt, bias: bt, stride: stride.tuple, padding: padding.tuple) }]
            },
            reference: {
                let (xr, wr, br) = (try session.loader.doubleArray(x), try session.loader.doubleArray(w), try b.map(session.loader.doubleArray))
                return [try session.attributing(to: label) {
                    try Reference.conv2d(xr, weight: wr, bias: br, stride: stride.tuple, padding: padding.tuple)
                }]
            })
    }
}

struct RunPatchify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patchify",
        abstract: "Cut images into P×P patches, one row per patch (ViT order).",
        discussion: """
            attend run patchify --input image.npy --patch 4 --output out.npy

            image [B, C, H, W] → [B, (H/P)·(W/P), C·P·P]; H and W must be divisible by P.
            """)

    @Option(help: ArgumentHelp("The images [B, C, H, W].", valueName: "image.npy"))
    var input: String

    @Option(help: "The patch side P.")
    var patch: Int

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "patchify", options: options)
        let file = InputFile("--input", input), patch = patch
        let label = "\(file.label) (--patch \(patch))"
        try session.run(
            blas: {
                let image = try session.loader.floatTensor(file)
                return [try session.attributing(to: label) { try Attend.patchify(image, patch: patch) }]
            },
            reference: {
                let image = try session.loader.doubleArray(file)
                return [try session.attributing(to: label) { try Reference.patchify(image, patch: patch) }]
            })
    }
}

struct RunLayerNorm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layernorm",
        abstract: "Layer normalization over the last dimension(s), as nn.LayerNorm.",
        discussion: """
            attend run layernorm --input x.npy [--weight w.npy --bias b.npy] \\
                [--eps 1e-5] --output out.npy

            y = (x − mean) / √(var + eps) · weight + bias, with the biased variance (÷ N) over the normalized dimensions: the last --normalized-dims of x (default: the rank of --weight or --bias when given, else 1).
            """)

    @Option(help: ArgumentHelp("The input [..., normalized dims].", valueName: "x.npy"))
    var input: String

    @Option(help: ArgumentHelp("Scale with the normalized shape.", valueName: "w.npy"))
    var weight: String?

    @Option(help: ArgumentHelp("Shift with the normalized shape.", valueName: "b.npy"))
    var bias: String?

    @Option(help: "Added to the variance.")
    var eps: Double = 1e-5

    @Option(name: .customLong("normalized-dims"), help: "How many trailing dimensions to normalize over.")
    var normalizedDims: Int?

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "layernorm", options: options)
        let x = InputFile("--input", input), w = weight.map { InputFile("--weight", $0) }, b = bias.map { InputFile("--bias", $0) }
        func dims(rank: Int, parameterRank: Int?) throws -> Int {
            let k = normalizedDims ?? parameterRank ?? 1
            guard k >= 1, k <= rank else {
                throw session.error(
                    normalizedDims.map { "--normalized-dims \($0)" } ?? x.label,
                    "cannot normalize over the last \(k) dimension(s) of an input of rank \(rank) (needs 1 ≤ k ≤ rank)")
            }
            return k
        }
        let parameters = [w, b].compactMap { $0 }.map(\.label).joined(separator: ", ")
        try session.run(
            blas: {
                let xt = try session.loader.floatTensor(x)
                let (wt, bt) = (try w.map(session.loader.floatTensor), try b.map(session.loader.floatTensor))
                let k = try dims(rank: xt.rank, parameterRank: (wt ?? bt)?.rank)
                let shape = Array(xt.shape.suffix(k))
                let layer = try session.attributing(to: parameters) {
                    try LayerNorm(normalizedShape: shape, eps: eps, weight: wt, bias: bt)
                }
                return [try session.attributing(to: x.label) { try layer(xt) }]
            },
            reference: {
                let xr = try session.loader.doubleArray(x)
                let (wr, br) = (try w.map(session.loader.doubleArray), try b.map(session.loader.doubleArray))
                let k = try dims(rank: xr.rank, parameterRank: (wr ?? br)?.rank)
                return [try session.attributing(to: parameters.isEmpty ? x.label : "\(x.label), \(parameters)") {
                    try Reference.layerNorm(xr, normalizedDims: k, weight: wr, bias: br, eps: eps)
                }]
            })
    }
}

struct RunLinear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "y = x·Wᵀ + b with PyTorch's weight layout [out, in].",
        discussion: """
            attend run linear --input x.npy --weight w.npy [--bias b.npy] --output out.npy

            x [..., in], weight [out, in], bias [out] → [..., out].
            """)

    @Option(help: ArgumentHelp("The input [..., in].", valueName: "x.npy"))
    var input: String

    @Option(help: ArgumentHelp("The weight [out, in].", valueName: "w.npy"))
    var weight: String

    @Option(help: ArgumentHelp("The bias [out].", valueName: "b.npy"))
    var bias: String?

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "linear", options: options)
        let x = InputFile("--input", input), w = InputFile("--weight", weight), b = bias.map { InputFile("--bias", $0) }
        let label = "\(x.label), \(w.label)" + (b.map { ", \($0.label)" } ?? "")
        try session.run(
            blas: {
                let (xt, wt, bt) = (try session.loader.floatTensor(x), try session.loader.floatTensor(w), try b.map(session.loader.floatTensor))
                return [try session.attributing(to: label) { try linear(xt, weight: wt, bias: bt) }]
            },
            reference: {
                let (xr, wr, br) = (try session.loader.doubleArray(x), try session.loader.doubleArray(w), try b.map(session.loader.doubleArray))
                return [try session.attributing(to: label) { try Reference.linear(xr, weight: wr, bias: br) }]
            })
    }
}

import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run` for the line-wise ops and reductions: softmax, logsoftmax, sum, mean, std.

struct LineWiseArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The input array.", valueName: "x.npy"))
    var input: String

    @Option(parsing: .unconditional, help: "The dimension to normalize over (negative counts from the end).")
    var dim: Int = -1
}

/// The line-wise ops of `attend run`: each one's help and its two backends, in one place.
enum LineWiseOp: String {
    case softmax
    case logSoftmax = "logsoftmax"

    var abstract: String {
        switch self {
        case .softmax: "Numerically stable softmax along one dimension."
        case .logSoftmax: "log softmax along one dimension (a line of all -inf gives all -inf)."
        }
    }

    var discussion: String {
        let usage = "attend run \(rawValue) --input x.npy --dim -1 --output out.npy"
        switch self {
        case .softmax: return usage + "\n\nA line that is entirely -inf gives zeros (PyTorch gives NaN)."
        case .logSoftmax: return usage
        }
    }

    func blas(_ x: Tensor<Float>, dim: Int) throws -> Tensor<Float> {
        switch self {
        case .softmax: try x.softmax(dim: dim)
        case .logSoftmax: try x.logSoftmax(dim: dim)
        }
    }

    func reference(_ x: ReferenceArray<Double>, dim: Int) throws -> ReferenceArray<Double> {
        switch self {
        case .softmax: try Reference.softmax(x, dim: dim)
        case .logSoftmax: try Reference.logSoftmax(x, dim: dim)
        }
    }
}

/// Names one ``LineWiseOp``, so that each op is a subcommand type of its own.
protocol LineWiseCommand { static var op: LineWiseOp { get } }

/// `attend run softmax|logsoftmax --input x.npy [--dim d]`.
struct RunLineWise<Command: LineWiseCommand>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: Command.op.rawValue, abstract: Command.op.abstract, discussion: Command.op.discussion)
    }

    @OptionGroup var arguments: LineWiseArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        let (op, dim) = (Command.op, arguments.dim)
        let session = try RunSession(op: op.rawValue, options: options)
        try session.run(
            [InputFile("--input", arguments.input)], attributingTo: "--dim \(dim)",
            blas: { try op.blas($0[0], dim: dim) },
            reference: { try op.reference($0[0], dim: dim) })
    }
}

enum SoftmaxCommand: LineWiseCommand { static let op = LineWiseOp.softmax }
enum LogSoftmaxCommand: LineWiseCommand { static let op = LineWiseOp.logSoftmax }
typealias RunSoftmax = RunLineWise<SoftmaxCommand>
typealias RunLogSoftmax = RunLineWise<LogSoftmaxCommand>

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
        blas: (Tensor<Float>, [Int], Bool) throws -> Tensor<Float>,
        reference: (ReferenceArray<Double>, [Int], Bool) throws -> ReferenceArray<Double>
    ) throws {
        let session = try RunSession(op: op, options: options)
        try session.run(
            [InputFile("--input", input)], attributingTo: label, blas: { try blas($0[0], dims, keepDim) },
            reference: { try reference($0[0], dims, keepDim) })
    }
}

/// The reductions of `attend run` that take nothing but `--input`, `--dim` and `--keepdim`: each
/// one's help and its two backends, in one place.
enum PlainReduction: String {
    case sum, mean

    var abstract: String {
        switch self {
        case .sum: "Σ over dimensions (accumulated in Double on the blas backend)."
        case .mean: "Arithmetic mean over dimensions."
        }
    }

    func blas(_ x: Tensor<Float>, dims: [Int], keepDim: Bool) throws -> Tensor<Float> {
        switch self {
        case .sum: try x.sum(dims: dims, keepDim: keepDim)
        case .mean: try x.mean(dims: dims, keepDim: keepDim)
        }
    }

    func reference(_ x: ReferenceArray<Double>, dims: [Int], keepDim: Bool) throws -> ReferenceArray<Double> {
        switch self {
        case .sum: try Reference.sum(x, dims: dims, keepDim: keepDim)
        case .mean: try Reference.mean(x, dims: dims, keepDim: keepDim)
        }
    }
}

/// Names one ``PlainReduction``, so that each reduction is a subcommand type of its own.
protocol PlainReductionCommand { static var reduction: PlainReduction { get } }

/// `attend run sum|mean --input x.npy [--dim d …] [--keepdim]`.
struct RunReduction<Command: PlainReductionCommand>: ParsableCommand {
    static var configuration: CommandConfiguration {
        let name = Command.reduction.rawValue
        return CommandConfiguration(
            commandName: name, abstract: Command.reduction.abstract,
            discussion: "attend run \(name) --input x.npy --dim 1 --output out.npy")
    }

    @OptionGroup var arguments: ReductionArguments
    @OptionGroup var options: RunOptions

    func run() throws {
        let reduction = Command.reduction
        try arguments.run(
            op: reduction.rawValue, options: options, blas: { try reduction.blas($0, dims: $1, keepDim: $2) },
            reference: { try reduction.reference($0, dims: $1, keepDim: $2) })
    }
}

enum SumCommand: PlainReductionCommand { static let reduction = PlainReduction.sum }
enum MeanCommand: PlainReductionCommand { static let reduction = PlainReduction.mean }
typealias RunSum = RunReduction<SumCommand>
typealias RunMean = RunReduction<MeanCommand>

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

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

extension LineWiseArguments {
    /// Runs one line-wise op on `--input` through the chosen backend: the shared body of
    /// `run softmax` and `run logsoftmax`.
    func run(
        op: String, options: RunOptions,
        blas: @escaping (Tensor<Float>, Int) throws -> Tensor<Float>,
        reference: @escaping (ReferenceArray<Double>, Int) throws -> ReferenceArray<Double>
    ) throws {
        let session = try RunSession(op: op, options: options)
        let file = InputFile("--input", input)
        let dim = dim
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
        let file = InputFile("--input", input)
        let (dims, keep, label) = (dims, keepDim, label)
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

import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run` for the products: einsum, matmul, linear — and the pieces every `run` op shares.
extension RunSession {
    /// Runs the chosen backend's computation — which loads its own inputs — and writes its
    /// results. Nothing is written unless every step succeeded.
    func run(blas: () throws -> [Tensor<Float>], reference: () throws -> [ReferenceArray<Double>]) throws {
        switch backend {
        case .blas: try write(try blas())
        case .reference: try write(try reference())
        }
    }

    /// Runs a one-result op on `files`, read as Float tensors for the blas backend and as Double
    /// arrays for the reference (in the order given), a failure of the op attributed to `label`.
    func run(
        _ files: [InputFile], attributingTo label: String, blas: ([Tensor<Float>]) throws -> Tensor<Float>,
        reference: ([ReferenceArray<Double>]) throws -> ReferenceArray<Double>
    ) throws {
        try run(
            blas: {
                let tensors = try files.map(loader.floatTensor)
                return [try attributing(to: label) { try blas(tensors) }]
            },
            reference: {
                let arrays = try files.map(loader.doubleArray)
                return [try attributing(to: label) { try reference(arrays) }]
            })
    }
}

/// `--input` given a fixed number of times.
func operands(_ paths: [String], count: Int, session: RunSession, names: String) throws -> [InputFile] {
    guard paths.count == count else {
        throw session.error(
            "--input", "expected \(count == 1 ? "one input" : "\(count) inputs") (\(names)), got \(paths.count)")
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

    @Option(
        name: .customLong("input"), help: ArgumentHelp("An operand (repeat, in equation order).", valueName: "a.npy"))
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
            files, attributingTo: label, blas: { try einsum(equation, $0) },
            reference: { try Reference.einsum(equation, $0) })
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
            files, attributingTo: label, blas: { try matmul($0[0], $0[1]) },
            reference: { try Reference.matmul($0[0], $0[1]) })
    }
}

/// `--input x.npy --dim d` for softmax and log-softmax.

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
        let x = InputFile("--input", input)
        let w = InputFile("--weight", weight)
        let b = bias.map { InputFile("--bias", $0) }
        let label = "\(x.label), \(w.label)" + (b.map { ", \($0.label)" } ?? "")
        try session.run(
            blas: {
                let (xt, wt, bt) = (
                    try session.loader.floatTensor(x), try session.loader.floatTensor(w),
                    try b.map(session.loader.floatTensor)
                )
                return [try session.attributing(to: label) { try linear(xt, weight: wt, bias: bt) }]
            },
            reference: {
                let (xr, wr, br) = (
                    try session.loader.doubleArray(x), try session.loader.doubleArray(w),
                    try b.map(session.loader.doubleArray)
                )
                return [try session.attributing(to: label) { try Reference.linear(xr, weight: wr, bias: br) }]
            })
    }
}

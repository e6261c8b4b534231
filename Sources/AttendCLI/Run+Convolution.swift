import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run` for the unfolding ops: conv1d (a 1-D signal, or batched channels), conv2d, patchify.

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
        let signalFile = InputFile("--input", input)
        let kernelFile = InputFile("--kernel", kernel)
        let biasFile = bias.map { InputFile("--bias", $0) }
        let label =
            "\(signalFile.label), \(kernelFile.label)" + (biasFile.map { ", \($0.label)" } ?? "")
            + " (--stride \(stride)\(padding == 0 ? "" : ", --padding \(padding)"))"
        func checkPlainForm(_ rank: Int) throws {
            if rank == 1, padding != 0 || biasFile != nil {
                throw session.error(
                    padding != 0 ? "--padding \(padding)" : biasFile!.label,
                    "--padding and --bias apply to the batched form (input [B, C, L], kernel [O, C, K]); the signal is 1-D"
                )
            }
        }
        try session.run(
            blas: {
                let x = try session.loader.floatTensor(signalFile)
                let k = try session.loader.floatTensor(kernelFile)
                let b = try biasFile.map(session.loader.floatTensor)
                try checkPlainForm(x.rank)
                return [
                    try session.attributing(to: label) {
                        x.rank == 1
                            ? try correlate(signal: x, kernel: k, stride: stride)
                            : try conv1d(x, weight: k, bias: b, stride: stride, padding: padding)
                    }
                ]
            },
            reference: {
                let x = try session.loader.doubleArray(signalFile)
                let k = try session.loader.doubleArray(kernelFile)
                let b = try biasFile.map(session.loader.doubleArray)
                try checkPlainForm(x.rank)
                return [
                    try session.attributing(to: label) {
                        x.rank == 1
                            ? try Reference.correlate(signal: x, kernel: k, stride: stride)
                            : try Reference.conv1d(x, weight: k, bias: b, stride: stride, padding: padding)
                    }
                ]
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
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        switch parts.count {
        case 1:
            guard let value = parts[0] else { return nil }
            (height, width) = (value, value)
        case 2:
            guard let h = parts[0], let w = parts[1] else { return nil }
            (height, width) = (h, w)
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
        let x = InputFile("--input", input)
        let w = InputFile("--weight", weight)
        let b = bias.map { InputFile("--bias", $0) }
        let label =
            "\(x.label), \(w.label)" + (b.map { ", \($0.label)" } ?? "") + " (--stride \(stride), --padding \(padding))"
        try session.run(
            blas: {
                let (xt, wt, bt) = (
                    try session.loader.floatTensor(x), try session.loader.floatTensor(w),
                    try b.map(session.loader.floatTensor)
                )
                return [
                    try session.attributing(to: label) {
                        try conv2d(xt, weight: wt, bias: bt, stride: stride.tuple, padding: padding.tuple)
                    }
                ]
            },
            reference: {
                let (xr, wr, br) = (
                    try session.loader.doubleArray(x), try session.loader.doubleArray(w),
                    try b.map(session.loader.doubleArray)
                )
                return [
                    try session.attributing(to: label) {
                        try Reference.conv2d(xr, weight: wr, bias: br, stride: stride.tuple, padding: padding.tuple)
                    }
                ]
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
        let file = InputFile("--input", input)
        let patch = patch
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

import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `attend run <op> …` — one op on the user's own array files.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one op on your own .npy files and write the result as .npy.",
        discussion: """
            Forms (each also takes --backend blas|reference; default blas):

              attend run einsum --equation "bhld,bhmd->bhlm" \\
                  --input a.npy --input b.npy --output out.npy
              attend run matmul --input a.npy --input b.npy --output out.npy
              attend run softmax --input x.npy --dim -1 --output out.npy
              attend run sum|mean|std --input x.npy --dim 1 [--unbiased|--no-unbiased] \\
                  --output out.npy
              attend run sqdist --input a.npy --input b.npy --output out.npy
              attend run conv1d --input signal.npy --kernel k.npy [--stride 1] \\
                  --output out.npy
              attend run patchify --input image.npy --patch 4 --output out.npy
              attend run layernorm --input x.npy [--weight w.npy --bias b.npy] \\
                  [--eps 1e-5] --output out.npy
              attend run sdpa --query q.npy --key k.npy --value v.npy [--mask m.npy] \\
                  [--causal] [--scale s] --output out.npy [--attention-weights w.npy]
              attend run mha --query q.npy --key k.npy --value v.npy \\
                  --weights w.safetensors --num-heads H [--causal] \\
                  [--key-padding-mask p.npy] --output out.npy [--attention-weights w.npy]
              attend run encoder-layer --input x.npy --weights w.safetensors \\
                  --num-heads H [--activation relu|gelu] [--norm-first] [--eps 1e-5] \\
                  --output out.npy
            Also: logsoftmax, linear, conv2d. Each form's details: attend run <form> --help.

            --backend blas runs the engine in Float (OpenBLAS sgemm): inputs are converted to float32 (float64 rounds to nearest; integers must be exact) and the output is float32 (<f4).

            --backend reference runs the independent pure-Swift reference (AttendReference) in Double and writes float64 (<f8): slow (naive loops), but an independent check.

            Inputs are .npy files (or a .npz / .safetensors holding exactly one array). Weight files (--weights) are .safetensors or .npz with PyTorch state_dict names.

            Bad input (a missing file, an unreadable format, a wrong shape, a bad equation) prints one line on stderr naming the op, the argument and what was expected, exits with status 2, and writes nothing: outputs are written only after every computation has succeeded, each by an atomic rename.
            """,
        subcommands: [
            RunEinsum.self, RunMatmul.self, RunSoftmax.self, RunLogSoftmax.self, RunSum.self, RunMean.self,
            RunStd.self, RunSquaredDistances.self, RunConv1d.self, RunConv2d.self, RunPatchify.self,
            RunLayerNorm.self, RunLinear.self, RunSDPA.self, RunMHA.self, RunEncoderLayer.self,
        ])
}

/// Which implementation `attend run` uses.
enum Backend: String, ExpressibleByArgument, CaseIterable {
    /// The engine in Float: OpenBLAS GEMMs; writes float32.
    case blas
    /// AttendReference in Double: naive loops straight from the formulas; writes float64.
    case reference
}

/// Options every `attend run` form takes.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where to write the result (.npy).", valueName: "out.npy"))
    var output: String

    @Option(
        help: ArgumentHelp(
            "blas: the engine in Float, writes float32 (<f4). reference: AttendReference in Double, writes float64 (<f8).",
            valueName: "blas|reference"))
    var backend: Backend = .blas

    @Option(
        help:
            "Worker threads Attend runs its GEMMs and attention on; OpenBLAS itself runs one thread per call (default: all cores, Parallelism.threadCount)."
    )
    var threads: Int?
}

/// An output file named on the command line.
struct OutputFile {
    let option: String
    let path: String

    var url: URL { URL(fileURLWithPath: path).standardizedFileURL }
    var label: String { "\(option) \(path)" }
}

/// One `attend run` invocation: its error context, its loader, and its outputs — checked
/// before anything is computed and written only after everything has been computed.
struct RunSession {
    let context: ErrorContext
    let loader: ArrayLoader
    let backend: Backend
    let outputs: [OutputFile]

    /// Checks the output paths (their directories exist, no two are the same) and applies
    /// `--threads`.
    init(op: String, options: RunOptions, extraOutputs: [OutputFile] = []) throws {
        context = ErrorContext(command: "attend run \(op)")
        loader = ArrayLoader(context: context)
        backend = options.backend
        outputs = [OutputFile(option: "--output", path: options.output)] + extraOutputs
        if let threads = options.threads {
            guard threads >= 1 else {
                throw context.error("--threads \(threads)", "expected a thread count of at least 1")
            }
            Parallelism.threadCount = threads
        }
        var seen: [String: OutputFile] = [:]
        for output in outputs {
            if let earlier = seen[output.url.path] {
                throw context.error(output.label, "is the same file as \(earlier.label); give each output its own path")
            }
            seen[output.url.path] = output
            var isDirectory: ObjCBool = false
            let directory = output.url.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                throw context.error(output.label, "cannot be written: directory \(directory.path) does not exist")
            }
            if FileManager.default.fileExists(atPath: output.url.path, isDirectory: &isDirectory), isDirectory.boolValue
            {
                throw context.error(output.label, "is a directory; expected a file path such as out.npy")
            }
        }
    }

    /// Attributes a failure inside `body` to `argument` (see ``ErrorContext/attributing(to:_:)``).
    func attributing<T>(to argument: String, _ body: () throws -> T) throws -> T {
        try context.attributing(to: argument, body)
    }

    func error(_ argument: String, _ message: String) -> CLIError { context.error(argument, message) }

    /// Writes the results, in the order of `outputs` (`--output` first, then e.g.
    /// `--attention-weights`), and any `extra` files (a `--heatmap` picture), all or nothing
    /// (``NPY/write(_:to:alongWith:)``): a failure leaves no output behind.
    func write(_ arrays: [ArrayData], extra: [(bytes: Data, target: OutputFile)] = []) throws {
        precondition(
            arrays.count <= outputs.count, "RunSession.write: \(arrays.count) arrays for \(outputs.count) outputs")
        let targets = Array(outputs.prefix(arrays.count)) + extra.map(\.target)
        do {
            try NPY.write(
                arrays, to: targets.prefix(arrays.count).map(\.url), alongWith: extra.map { ($0.bytes, $0.target.url) })
        } catch let error as FileFormatError {
            let output = targets.first { $0.url.lastPathComponent == error.file } ?? targets[0]
            throw context.error(output.label, libraryMessage(error, argument: output.label))
        }
    }

    /// Writes engine results as float32.
    func write(_ tensors: [Tensor<Float>]) throws { try write(tensors.map(\.arrayData)) }

    /// Writes reference results as float64.
    func write(_ arrays: [ReferenceArray<Double>]) throws {
        try write(arrays.map { ArrayData(shape: $0.shape, float64: $0.values) })
    }
}

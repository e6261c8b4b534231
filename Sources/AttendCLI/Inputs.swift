import Attend
import AttendReference
import AttendVerification
import Foundation

/// An array file named on the command line, with the option that named it, so an error can
/// say `--query q.npy: no such file`.
struct InputFile {
    /// `--query`, `--input` …
    let option: String
    let path: String

    init(_ option: String, _ path: String) {
        self.option = option
        self.path = path
    }

    var url: URL { URL(fileURLWithPath: path) }
    /// `--query q.npy`
    var label: String { "\(option) \(path)" }
}

/// Reads the user's array files for one command, converting them to what the chosen path
/// needs and attributing every failure to the argument that named the file.
struct ArrayLoader {
    let context: ErrorContext

    /// The one array in a `.npy` file (or a one-array `.npz` / `.safetensors`).
    func array(_ file: InputFile) throws -> ArrayData {
        try context.attributing(to: file.label) { try ArrayFile.readSingle(contentsOf: file.url) }
    }

    /// The array as an engine tensor in Float (float64 rounds to nearest, integers must be exact).
    func floatTensor(_ file: InputFile) throws -> Tensor<Float> {
        let data = try array(file)
        return try context.attributing(to: file.label) { try Tensor<Float>(data, name: file.url.lastPathComponent) }
    }

    /// The array in Double for the reference path.
    func doubleArray(_ file: InputFile) throws -> ReferenceArray<Double> {
        let data = try array(file)
        let tensor = try context.attributing(to: file.label) {
            try Tensor<Double>(data, name: file.url.lastPathComponent)
        }
        return ReferenceArray(shape: tensor.shape, values: tensor.scalars)
    }

    /// A boolean array (bool, or integers / floats that are 0 or 1).
    func boolMask(_ file: InputFile) throws -> BoolTensor {
        let data = try array(file)
        return try context.attributing(to: file.label) { try BoolTensor(data, name: file.url.lastPathComponent) }
    }

    /// An attention mask file: a bool array means "True = may attend" (PyTorch SDPA), a
    /// floating-point array is added to the scores.
    func attentionMask(_ file: InputFile) throws -> UserMask {
        let data = try array(file)
        switch data.dtype {
        case .bool:
            return .mayAttend(
                try context.attributing(to: file.label) { try BoolTensor(data, name: file.url.lastPathComponent) })
        case .float16, .bfloat16, .float32, .float64:
            return .additive(
                try context.attributing(to: file.label) { try Tensor<Double>(data, name: file.url.lastPathComponent) })
        case .int32, .int64, .uint8:
            throw context.error(
                file.label,
                "a mask must be a bool array (True = may attend, as PyTorch's scaled_dot_product_attention) "
                    + "or a float array (added to the scores; -inf masks), got \(data.dtype.rawValue)")
        }
    }

    /// Every array of a weights file (`.safetensors`, `.npz`, or a single `.npy`), by
    /// PyTorch state_dict name.
    func stateDict<Scalar: TensorScalar>(_ file: InputFile, as _: Scalar.Type) throws -> [String: Tensor<Scalar>] {
        try context.attributing(to: file.label) { try readTensors(contentsOf: file.url, as: Scalar.self) }
    }
}

/// A mask read from a file, before it becomes an ``AttentionMask`` of the scalar a path runs in.
enum UserMask {
    /// True = may attend.
    case mayAttend(BoolTensor)
    /// Added to the scores (values as stored, in Double).
    case additive(Tensor<Double>)

    /// The mask in `S` (the additive values rounded to `S`); the reference path converts the
    /// Double one with ``AttentionMask/reference(_:)``.
    func attentionMask<S: TensorScalar>(_: S.Type) -> AttentionMask<S> {
        switch self {
        case .mayAttend(let mask):
            return .mayAttend(mask)
        case .additive(let mask):
            // The shape and count match by construction.
            return .additive(try! Tensor<S>(shape: mask.shape, scalars: mask.scalars.map { S($0) }))
        }
    }
}

/// `--inputs DIR` of `attend compare`: the user's files, read and attributed as `ArrayLoader` does.
struct InputDirectory: CaseInputs {
    let directory: String
    let loader: ArrayLoader

    init(_ directory: String, context: ErrorContext) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw context.error("--inputs \(directory)", "no such directory")
        }
        self.directory = directory
        loader = ArrayLoader(context: context)
    }

    var label: String { "--inputs \(directory)" }

    private func file(_ name: String) -> InputFile {
        InputFile("--inputs", (directory as NSString).appendingPathComponent(name))
    }

    func contains(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }
    func floatTensor(_ name: String) throws -> Tensor<Float> { try loader.floatTensor(file(name)) }
    func attentionMask(_ name: String) throws -> AttentionMask<Float> {
        try loader.attentionMask(file(name)).attentionMask(Float.self)
    }
    func boolMask(_ name: String) throws -> BoolTensor { try loader.boolMask(file(name)) }
    func stateDict(_ name: String) throws -> [String: Tensor<Float>] {
        try loader.stateDict(file(name), as: Float.self)
    }

    func attributing<T>(to name: String, detail: String, _ body: () throws -> T) throws -> T {
        try loader.context.attributing(to: "\(file(name).label) \(detail)", body)
    }
}

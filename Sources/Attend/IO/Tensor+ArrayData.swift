import Foundation

// Bridges between tensors and the decoded arrays of .npy / .npz / .safetensors files.

extension Tensor {
    /// A tensor from a decoded array, converting its elements to `Scalar`: `[shape]` of the array.
    /// - Parameters:
    ///   - array: the decoded array (its shape, dtype and little-endian bytes).
    ///   - name: how messages refer to the array (usually the file or tensor name).
    /// - Throws: ``FileFormatError`` when a conversion would lose information (e.g. int64
    ///   16777217 to Float); float64 → Float rounds to nearest, as NumPy's `astype` does.
    public init(_ array: ArrayData, name: String) throws {
        let values: [Scalar]
        if Scalar.self == Double.self {
            values = try array.doubles(name: name).map { Scalar($0) }
        } else {
            values = try array.floats(name: name).map { Scalar($0) }
        }
        try self.init(shape: array.shape, scalars: values)
    }

    /// Reads a single array from a `.npy` file (or a one-array `.npz`/`.safetensors`).
    /// - Throws: ``FileFormatError`` naming the file when it cannot be read, is malformed, holds not exactly one
    ///   array, or holds values that do not convert to `Scalar`.
    public init(contentsOf url: URL) throws {
        try self.init(ArrayFile.readSingle(contentsOf: url), name: url.lastPathComponent)
    }

    /// The tensor as a little-endian C-order array of its own scalar type (`<f4` or `<f8`).
    public var arrayData: ArrayData {
        if Scalar.self == Double.self {
            return ArrayData(shape: shape, float64: scalars.map { Double($0) })
        }
        return ArrayData(shape: shape, float32: scalars.map { Float($0) })
    }
}

extension BoolTensor {
    /// A boolean mask from a decoded array (bool, or integers/floats that are 0 or 1).
    /// - Throws: ``FileFormatError`` naming `name` when an element is not a boolean or 0/1.
    public init(_ array: ArrayData, name: String) throws {
        try self.init(shape: array.shape, elements: array.bools(name: name))
    }
}

/// Reads every array of a `.npy`, `.npz` or `.safetensors` file as tensors keyed by name
/// (PyTorch state_dict names for weight files).
/// - Throws: ``FileFormatError`` naming the file when it cannot be read or is malformed, or an array does not
///   convert to `Scalar` (integers beyond its exact range).
public func readTensors<Scalar: TensorScalar>(contentsOf url: URL, as _: Scalar.Type = Scalar.self) throws -> [String:
    Tensor<Scalar>]
{
    var result: [String: Tensor<Scalar>] = [:]
    for (name, array) in try ArrayFile.readAll(contentsOf: url) {
        result[name] = try Tensor<Scalar>(array, name: "\(url.lastPathComponent) [\(name)]")
    }
    return result
}

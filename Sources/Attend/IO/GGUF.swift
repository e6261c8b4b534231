import Foundation

/// A GGUF file (llama.cpp's model format), versions 2 and 3: metadata and tensor descriptions,
/// with the tensor data read — and dequantized to `Float` — on request.
///
/// Layout (all little-endian):
///
/// ```
/// "GGUF"  u32 version  u64 tensor_count  u64 kv_count
/// kv_count × (string key, u32 value type, value)                 // see GGUFValue
/// tensor_count × (string name, u32 n_dims, n_dims × u64 ne, u32 ggml type, u64 offset)
/// padding to `general.alignment` (default 32), then the data buffer; each offset is relative to
/// the buffer's start and a multiple of the alignment
/// ```
///
/// `ne[0]` is the innermost (fastest-varying) dimension, so a tensor with `ne = [576, 49152]` is a
/// row-major `[49152, 576]` matrix: ``GGUFTensorInfo/shape`` gives the row-major order.
///
/// Reading checks, before allocating anything: every count and string length against the bytes
/// left, UTF-8 of every string, unique keys and tensor names, at most 4 dimensions, element counts
/// without overflow and a whole number of blocks per row, known tensor types (an unknown type id is
/// an error naming the tensor; a known ggml type Attend does not compute with, such as Q2_K, is
/// listed in ``otherTensors`` and refused by name when asked for), offsets aligned, and every
/// tensor's bytes inside the file without overlapping another's.
public struct GGUFFile: Sendable {
    /// The format version (2 or 3).
    public let version: UInt32
    /// The metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// The tensors in file order (those of a type Attend computes with).
    public let tensors: [GGUFTensorInfo]
    /// The tensors of ggml types Attend does not compute with (Q2_K, IQ4_XS, …), in file order:
    /// listed, checked for where their bytes lie, and refused by name when asked for.
    public let otherTensors: [GGUFOtherTensorInfo]
    /// The data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// The file name used in error messages.
    public let name: String

    private let bytes: Data
    private let dataStart: Int
    private let index: [String: Int]
    private let metadataIndex: [String: Int]

    /// Reads and checks the header of a GGUF file (memory-mapped when possible).
    /// - Throws: `FileFormatError` naming the file and the problem.
    public init(contentsOf url: URL) throws {
        try self.init(data: ArrayFileAccess.read(url), name: ArrayFileAccess.displayName(url))
    }

    /// Checks the header of GGUF bytes; `name` identifies them in error messages.
    /// - Throws: ``FileFormatError`` naming `name` and the problem (bad magic or version, a truncated or
    ///   inconsistent header, tensors outside or overlapping in the data).
    public init(data: Data, name: String) throws {
        let parsed = try data.withUnsafeBytes { raw throws(FileFormatError) in try Self.parse(raw, name: name) }
        version = parsed.version
        metadata = parsed.metadata
        tensors = parsed.tensors
        otherTensors = parsed.others
        alignment = parsed.alignment
        dataStart = parsed.dataStart
        bytes = data
        self.name = name
        index = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
        metadataIndex = Dictionary(uniqueKeysWithValues: parsed.metadata.enumerated().map { ($1.key, $0) })
    }

    /// The metadata value for `key`, if present.
    public subscript(metadata key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    /// The description of the tensor `name`, if present.
    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The tensor `name` dequantized to `Float`, in row-major ``GGUFTensorInfo/shape``.
    /// - Throws: `FileFormatError` (kind `.invalidArgument`) when there is no such tensor.
    public func tensor(named name: String) throws -> Tensor<Float> {
        let info = try requireTensor(name)
        var scalars = [Float](repeating: 0, count: info.elementCount)
        try withRawBytes(of: name) { raw in
            scalars.withUnsafeMutableBufferPointer { out in
                if let base = raw.baseAddress, let destination = out.baseAddress {
                    GGUFDequantization.dequantize(info.type, from: base, count: info.elementCount, into: destination)
                }
            }
        }
        return try Tensor(shape: info.shape, scalars: scalars)
    }

    /// Calls `body` with the tensor's encoded bytes (blocks as stored in the file).
    /// - Throws: `FileFormatError` (kind `.invalidArgument`) when there is no such tensor.
    public func withRawBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try requireTensor(name)
        return try bytes.withUnsafeBytes { raw in
            try body(
                UnsafeRawBufferPointer(
                    rebasing: raw[(dataStart + info.offset)..<(dataStart + info.offset + info.byteCount)]))
        }
    }

    /// The tensor's encoded bytes as a slice of the file's (memory-mapped) data — no copy.
    func rawData(of tensorName: String) throws(FileFormatError) -> Data {
        let info = try requireTensor(tensorName)
        let start = bytes.startIndex + dataStart + info.offset
        return bytes[start..<(start + info.byteCount)]
    }

    private func requireTensor(_ tensorName: String) throws(FileFormatError) -> GGUFTensorInfo {
        guard let info = tensorInfo(named: tensorName) else {
            if let other = otherTensors.first(where: { $0.name == tensorName }) {
                throw .unsupported(
                    name,
                    "tensor \(HeaderJSON.quoted(tensorName)) has ggml type \(other.typeName) (\(other.typeID)), which Attend does not compute with; supported: \(GGUFTensorType.supportedNames)"
                )
            }
            throw .invalidArgument(
                name, "has no tensor named \(HeaderJSON.quoted(tensorName)) (it has \(tensors.count) tensors)")
        }
        return info
    }

    // MARK: Parsing

    /// Where one tensor's bytes lie, whatever its type (for the bounds and overlap checks).
    private typealias Extent = (name: String, type: String, dimensions: [Int], offset: Int, byteCount: Int)

    private struct Parsed {
        var version: UInt32
        var metadata: [(key: String, value: GGUFValue)]
        var tensors: [GGUFTensorInfo]
        var others: [GGUFOtherTensorInfo]
        var alignment: Int
        var dataStart: Int
    }

    private static func parse(_ raw: UnsafeRawBufferPointer, name: String) throws(FileFormatError) -> Parsed {
        guard !raw.isEmpty else { throw .malformed(name, "file is empty") }
        var reader = GGUFReader(raw: raw, file: name)
        guard raw.count >= 4, raw[0] == 0x47, raw[1] == 0x47, raw[2] == 0x55, raw[3] == 0x46 else {
            throw .malformed(
                name, "does not start with the GGUF magic \"GGUF\" (first bytes \(raw.prefix(4).map { String($0) }))")
        }
        reader.position = 4
        let version = try reader.integer(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw .unsupported(name, "is GGUF version \(version); versions 2 and 3 are supported")
        }
        // A tensor description takes at least 8 + 4 + 4 + 8 bytes, a key/value pair 8 + 4 + 1.
        let tensorCount = try reader.integer(UInt64.self, "the tensor count")
        let kvCount = try reader.integer(UInt64.self, "the metadata count")
        guard tensorCount <= UInt64(reader.remaining / 24) else {
            throw .malformed(
                name, "declares \(tensorCount) tensors, more than the \(reader.remaining) bytes left can describe")
        }
        guard kvCount <= UInt64(reader.remaining / 13) else {
            throw .malformed(
                name, "declares \(kvCount) metadata entries, more than the \(reader.remaining) bytes left can hold")
        }

        var metadata: [(key: String, value: GGUFValue)] = []
        var keys = Set<String>()
        for i in 0..<Int(kvCount) {
            let key = try reader.string("metadata key \(i)")
            guard keys.insert(key).inserted else {
                throw .malformed(name, "metadata key \(HeaderJSON.quoted(key)) appears twice")
            }
            let type = try reader.integer(UInt32.self, "the value type of \(HeaderJSON.quoted(key))")
            metadata.append((key, try reader.value(type: type, "metadata \(HeaderJSON.quoted(key))")))
        }

        var alignment = 32
        if let entry = metadata.first(where: { $0.key == "general.alignment" }) {
            guard case .uint32(let value) = entry.value, value > 0, value & (value - 1) == 0 else {
                throw .malformed(
                    name,
                    "general.alignment is \(entry.value.summary()) (\(entry.value.typeName)); expected a UINT32 power of two"
                )
            }
            alignment = Int(value)
        }

        var tensors: [GGUFTensorInfo] = []
        var others: [GGUFOtherTensorInfo] = []
        // Every tensor's bytes, whatever its type.
        var extents: [Extent] = []
        var names = Set<String>()
        for i in 0..<Int(tensorCount) {
            let tensorName = try reader.string("the name of tensor \(i)")
            let label = "tensor \(HeaderJSON.quoted(tensorName))"
            guard names.insert(tensorName).inserted else { throw .malformed(name, "\(label) appears twice") }
            let rank = try reader.integer(UInt32.self, "the dimension count of \(label)")
            guard rank <= 4 else { throw .malformed(name, "\(label) has \(rank) dimensions; GGUF allows at most 4") }
            var dimensions: [Int] = []
            for d in 0..<Int(rank) {
                let extent = try reader.integer(UInt64.self, "dimension \(d) of \(label)")
                guard extent <= UInt64(Int.max) else {
                    throw .malformed(name, "\(label) has dimension \(d) of \(extent), which overflows")
                }
                dimensions.append(Int(extent))
            }
            let typeID = try reader.integer(UInt32.self, "the type of \(label)")
            let type = GGUFTensorType(rawValue: typeID)
            guard
                let layout = type.map({ ($0.name, $0.blockSize, $0.blockBytes) }) ?? GGUFTensorType.otherLayouts[typeID]
            else {
                throw .unsupported(
                    name, "\(label) has unknown ggml type \(typeID); supported: \(GGUFTensorType.supportedNames)")
            }
            let (typeName, blockSize, blockBytes) = layout
            let offset = try reader.integer(UInt64.self, "the data offset of \(label)")
            let shapeText = describe(dimensions)
            guard let count = ShapeArithmetic.elementCount(dimensions) else {
                throw .malformed(name, "\(label) has dimensions \(shapeText), whose element count overflows")
            }
            guard (dimensions.first ?? 1) % blockSize == 0 else {
                throw .malformed(
                    name,
                    "\(label) is \(typeName) with rows of \(dimensions.first ?? 1) elements, not a multiple of its \(blockSize)-element blocks"
                )
            }
            let (byteCount, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
            guard !overflow, offset <= UInt64(Int.max) else {
                throw .malformed(
                    name,
                    "\(label) has dimensions \(shapeText) of \(typeName) at offset \(offset), whose extent overflows")
            }
            guard Int(offset) % alignment == 0 else {
                throw .malformed(
                    name, "\(label) has data offset \(offset), not a multiple of the alignment \(alignment)")
            }
            if let type {
                tensors.append(
                    GGUFTensorInfo(
                        name: tensorName, type: type, dimensions: dimensions, offset: Int(offset), byteCount: byteCount)
                )
            } else {
                others.append(
                    GGUFOtherTensorInfo(
                        name: tensorName, typeID: typeID, typeName: typeName, dimensions: dimensions,
                        offset: Int(offset), byteCount: byteCount))
            }
            extents.append((tensorName, typeName, dimensions, Int(offset), byteCount))
        }

        let headerEnd = reader.position
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        // A file that ends inside the alignment padding has no data buffer at all; even a tensor
        // of 0 bytes would then be a slice starting past the end of the file.
        guard dataStart <= raw.count || extents.isEmpty else {
            throw .malformed(
                name,
                "declares \(extents.count) tensors but ends at byte \(raw.count), before its data buffer starts at \(dataStart) (the header's end \(headerEnd) rounded up to the alignment \(alignment))"
            )
        }
        let dataLength = Swift.max(raw.count - dataStart, 0)
        var previous: Extent?
        for tensor in extents.sorted(by: { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }) {
            let label = "tensor \(HeaderJSON.quoted(tensor.name))"
            guard tensor.offset <= dataLength, tensor.byteCount <= dataLength - tensor.offset else {
                throw .malformed(
                    name,
                    "\(label) (\(tensor.type) \(describe(tensor.dimensions)), \(tensor.byteCount) bytes at data offset \(tensor.offset)) runs past the end of the \(dataLength)-byte data buffer"
                )
            }
            if let previous, tensor.offset < previous.offset + previous.byteCount {
                throw .malformed(
                    name,
                    "\(label) (bytes [\(tensor.offset), \(tensor.offset + tensor.byteCount))) overlaps tensor \(HeaderJSON.quoted(previous.name)) (bytes [\(previous.offset), \(previous.offset + previous.byteCount)))"
                )
            }
            if tensor.byteCount > 0 { previous = tensor }
        }
        return Parsed(
            version: version, metadata: metadata, tensors: tensors, others: others, alignment: alignment,
            dataStart: dataStart)
    }
}

/// One tensor of a ``GGUFFile``.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name in the file (`blk.0.attn_q.weight`, `token_embd.weight` …).
    public let name: String
    /// How its elements are encoded (and so how ``GGUFFile`` dequantizes them).
    public let type: GGUFTensorType
    /// GGUF order: `dimensions[0]` (ne0) is the innermost, fastest-varying dimension.
    public let dimensions: [Int]
    /// Bytes from the start of the data buffer.
    public let offset: Int
    /// Encoded size in bytes.
    public let byteCount: Int

    /// Row-major shape (the dimensions reversed), as `Tensor` and PyTorch order them.
    public var shape: [Int] { dimensions.reversed() }
    /// The number of elements: the product of ``dimensions`` (1 for a scalar).
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A tensor of a ``GGUFFile`` whose ggml type Attend does not compute with (``GGUFFile/otherTensors``).
public struct GGUFOtherTensorInfo: Sendable, Equatable {
    /// The tensor's name in the file.
    public let name: String
    /// The ggml type id and name (`10`, `Q2_K` …).
    public let typeID: UInt32, typeName: String
    /// GGUF order: `dimensions[0]` (ne0) is the innermost dimension.
    public let dimensions: [Int]
    /// Bytes from the start of the data buffer, and the encoded size.
    public let offset: Int, byteCount: Int

    /// Row-major shape (the dimensions reversed).
    public var shape: [Int] { dimensions.reversed() }
}

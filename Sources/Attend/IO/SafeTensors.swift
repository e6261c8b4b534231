import Foundation

/// `.safetensors` files (the Hugging Face format).
///
/// Layout: an 8-byte little-endian unsigned header length `N`; `N` bytes of UTF-8 JSON header
/// (see `SafeTensorsHeader`); then the data buffer, which the tensors' `data_offsets` must cover
/// exactly. Element bytes are little-endian, C order. Dtype names: `F16`, `BF16`, `F32`, `F64`,
/// `I32`, `I64`, `U8`, `BOOL` (other safetensors dtypes are refused as unsupported).
///
/// Reading checks every length and offset before allocating; headers over 100 MB are refused, as
/// the reference implementation does. Writing packs tensors sorted by name, writes a compact JSON
/// header (`"__metadata__"` first when given) and pads it with spaces to a multiple of 8 bytes, as
/// the reference implementation does, so the data buffer is 8-byte aligned.
public enum SafeTensors {
    /// The largest header accepted (the reference implementation's limit).
    static let maximumHeaderLength = 100_000_000

    /// Reads a `.safetensors` file into named arrays (metadata is checked and dropped).
    /// - Throws: `FileFormatError` naming the file and the problem.
    public static func read(contentsOf url: URL) throws -> [String: ArrayData] {
        try decode(ArrayFileAccess.read(url), name: ArrayFileAccess.displayName(url))
    }

    /// Decodes the bytes of a `.safetensors` file; `name` identifies it in error messages.
    /// - Throws: ``FileFormatError`` naming `name` and the problem (a header size or offsets outside the data,
    ///   bad JSON, an unknown dtype, a byte count that does not match the shape).
    public static func decode(_ data: Data, name: String) throws -> [String: ArrayData] {
        try decodeWithMetadata(data, name: name).arrays
    }

    /// The `"__metadata__"` strings of a `.safetensors` file (nil when it has none).
    /// - Throws: `FileFormatError` naming the file and the problem.
    public static func metadata(contentsOf url: URL) throws -> [String: String]? {
        try decodeWithMetadata(ArrayFileAccess.read(url), name: ArrayFileAccess.displayName(url)).metadata
    }

    /// Encodes named arrays, with optional string metadata, as a `.safetensors` file.
    /// - Throws: `FileFormatError` (kind `.invalidArgument`) if an array is inconsistent or is named
    ///   `"__metadata__"`.
    public static func encode(_ arrays: [String: ArrayData], metadata: [String: String]? = nil) throws -> Data {
        var members: [(key: String, value: HeaderJSON)] = []
        if let metadata {
            let entries = metadata.keys.sorted().map { (key: $0, value: HeaderJSON.string(metadata[$0] ?? "")) }
            members.append((SafeTensorsHeader.metadataKey, .object(entries)))
        }
        let names = arrays.keys.sorted()
        var offset = 0
        for name in names {
            guard let array = arrays[name] else { continue }
            if name == SafeTensorsHeader.metadataKey {
                throw FileFormatError.invalidArgument(
                    "safetensors", "a tensor cannot be named \"\(name)\"; that key holds the metadata")
            }
            try array.validate(file: "safetensors", name: name)
            let end = offset + array.bytes.count
            members.append(
                (
                    name,
                    .object([
                        ("dtype", .string(array.dtype.safetensorsName)),
                        ("shape", .array(array.shape.map { .number(String($0)) })),
                        ("data_offsets", .array([.number(String(offset)), .number(String(end))])),
                    ])
                ))
            offset = end
        }
        var header = Array(HeaderJSON.object(members).serialized.utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))

        var data = Data()
        data.reserveCapacity(8 + header.count + offset)
        LittleEndianBytes.append(UInt64(header.count), to: &data)
        data.append(contentsOf: header)
        for name in names {
            if let array = arrays[name] { data.append(contentsOf: array.bytes) }
        }
        return data
    }

    /// Writes named arrays to `url` as a `.safetensors` file, atomically: the bytes go to a temporary
    /// file in the same directory that is then renamed over `url`, so a failure leaves no partial file.
    /// - Throws: ``FileFormatError`` (``FileFormatError/Kind/invalidArgument``) for an array whose bytes do not
    ///   match its shape and dtype, or (``FileFormatError/Kind/io``) when the file cannot be written; `url` is
    ///   then untouched.
    public static func write(_ arrays: [String: ArrayData], to url: URL, metadata: [String: String]? = nil) throws {
        let data: Data
        do {
            data = try encode(arrays, metadata: metadata)
        } catch let error as FileFormatError {
            throw FileFormatError(file: ArrayFileAccess.displayName(url), problem: error.problem, kind: error.kind)
        }
        try ArrayFileAccess.write(data, to: url)
    }

    // MARK: Internal

    static func decodeWithMetadata(_ data: Data, name: String) throws -> (
        arrays: [String: ArrayData], metadata: [String: String]?
    ) {
        try data.withUnsafeBytes { raw in try decode(raw, name: name) }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, name: String)
        throws(FileFormatError) -> (arrays: [String: ArrayData], metadata: [String: String]?)
    {
        guard !raw.isEmpty else { throw .malformed(name, "file is empty") }
        guard raw.count >= 8 else {
            throw .malformed(name, "file is truncated: \(raw.count) bytes, shorter than the 8-byte header length")
        }
        let declared = LittleEndianBytes.load(UInt64.self, from: raw, at: 0)
        guard declared <= UInt64(maximumHeaderLength) else {
            throw .malformed(name, "header length \(declared) exceeds the \(maximumHeaderLength)-byte limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= raw.count - 8 else {
            throw .malformed(
                name,
                "header length \(headerLength) runs past the end of the file (\(raw.count) bytes, so at most \(raw.count - 8) header bytes)"
            )
        }
        let dataStart = 8 + headerLength
        let header = try SafeTensorsHeader.parse(
            UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]), dataLength: raw.count - dataStart, file: name)
        var arrays: [String: ArrayData] = [:]
        for tensor in header.tensors {
            let bytes = [UInt8](
                UnsafeRawBufferPointer(rebasing: raw[(dataStart + tensor.begin)..<(dataStart + tensor.end)]))
            arrays[tensor.name] = ArrayData(unchecked: tensor.shape, dtype: tensor.dtype, bytes: bytes)
        }
        return (arrays, header.metadata)
    }
}

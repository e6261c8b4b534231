import Foundation
import ZIPFoundation

/// NumPy `.npz` files: a ZIP archive with one `.npy` member per array (`np.savez` stores them,
/// `np.savez_compressed` deflates them). Member `"name.npy"` is array `"name"`.
///
/// Reading parses the ZIP central directory itself (`ZIPDirectory`, including the ZIP64 records
/// and extra fields NumPy writes) and inflates deflated members with a bounded zlib loop
/// (`Inflate`), so reading any file ends, with the arrays or with an error, in time proportional
/// to its size — a deflate stream that ends early is reported as truncated, not waited on.
/// Each member's CRC-32 is verified and its size is checked against the ZIP directory before and
/// during extraction (a deflated member may not claim more than deflate's 1032:1 maximum ratio,
/// and extraction stops as soon as a member outputs more than it claimed); the member is then
/// decoded with the same checks as a `.npy` file. Directory and symlink members, encrypted members,
/// compression methods other than stored/deflate, duplicate names and members that are not `.npy`
/// arrays are refused.
///
/// Writing (via ZIPFoundation) stores members uncompressed (or deflated with `compressed: true`),
/// atomically.
public enum NPZ {
    /// Upper bound on the deflate expansion ratio (the format's theoretical maximum is about 1032:1).
    static let maximumDeflateRatio: UInt64 = 1032
    /// Buffer size used when writing members.
    static let chunkSize = 64 * 1024

    /// Reads every array of a `.npz` file; names are member names without `.npy`.
    /// - Throws: `FileFormatError` naming the file (and member) and the problem.
    public static func read(contentsOf url: URL) throws -> [String: ArrayData] {
        try decode(ArrayFileAccess.read(url), name: ArrayFileAccess.displayName(url))
    }

    /// Decodes the bytes of a `.npz` file; `name` identifies it in error messages.
    /// - Throws: `FileFormatError` naming `name` (and the member) and the problem.
    public static func decode(_ data: Data, name file: String) throws -> [String: ArrayData] {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var arrays: [String: ArrayData] = [:]
            for entry in try ZIPDirectory.members(of: raw, file: file) {
                let path = entry.path
                let member = "member \(HeaderJSON.quoted(path))"
                guard entry.kind == .file else {
                    throw FileFormatError.unsupported(
                        file, "\(member) is a \(entry.kind == .directory ? "directory" : "symbolic link"), not an array"
                    )
                }
                let name = path.hasSuffix(".npy") ? String(path.dropLast(4)) : path
                guard arrays[name] == nil else {
                    throw FileFormatError.malformed(file, "\(member) repeats the array name \(HeaderJSON.quoted(name))")
                }
                let bytes = try extract(entry, from: raw, file: file, member: member)
                do {
                    arrays[name] = try bytes.withUnsafeBytes { memberBytes in try NPY.decode(memberBytes, name: path) }
                } catch let error as FileFormatError {
                    throw error.nested(in: file, context: member)
                }
            }
            return arrays
        }
    }

    /// Writes named arrays to `url` as a `.npz` file (member `"name.npy"` per array), atomically:
    /// the archive is built in a temporary file in the same directory that is then renamed over `url`.
    /// - Parameters:
    ///   - arrays: the arrays by name; each becomes the member `"<name>.npy"`.
    ///   - url: the file to write (replaced whole, or left as it was on failure).
    ///   - compressed: deflate the members, like `np.savez_compressed`.
    /// - Throws: ``FileFormatError`` (``FileFormatError/Kind/invalidArgument``) for an array whose bytes do not
    ///   match its shape and dtype, or (``FileFormatError/Kind/io``) when the file cannot be written; `url` is
    ///   then untouched.
    public static func write(_ arrays: [String: ArrayData], to url: URL, compressed: Bool = false) throws {
        let file = ArrayFileAccess.displayName(url)
        for name in arrays.keys.sorted() {
            guard let array = arrays[name] else { continue }
            if name.isEmpty || name.hasPrefix("/") || name.contains("\0") {
                throw FileFormatError.invalidArgument(
                    file, "array name \(HeaderJSON.quoted(name)) cannot be a ZIP member name")
            }
            try array.validate(file: file, name: name)
        }
        // Members are encoded one at a time while the archive is written, so at most one extra copy
        // of one array is held in memory.
        let members = arrays.keys.sorted().compactMap { name in
            arrays[name].map { array in (path: name + ".npy", data: { NPY.encode(array) }) }
        }
        try writeMembers(members, to: url, compressed: compressed)
    }

    // MARK: Internal

    /// Writes a ZIP archive of the given members (in order) to `url`, atomically. Each member's
    /// bytes are produced by its closure just before it is added.
    static func writeMembers(_ members: [(path: String, data: () -> Data)], to url: URL, compressed: Bool) throws {
        try ArrayFileAccess.replace(url) { temporary in
            let archive = try Archive(url: temporary, accessMode: .create)
            for (path, makeData) in members {
                let data = makeData()
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(data.count),
                    compressionMethod: compressed ? .deflate : .none, bufferSize: chunkSize
                ) { position, size in
                    let start = data.startIndex + Int(position)
                    return data.subdata(in: start..<(start + size))
                }
            }
        }
    }

    /// The member's bytes, with its sizes and CRC-32 checked.
    private static func extract(_ entry: ZIPMember, from raw: UnsafeRawBufferPointer, file: String, member: String)
        throws(FileFormatError) -> [UInt8]
    {
        let claimed = entry.uncompressedSize
        let stored = entry.compressedSize
        guard !entry.isEncrypted else {
            throw .unsupported(file, "\(member) is encrypted")
        }
        guard claimed <= UInt64(Int.max) else {
            throw .malformed(file, "\(member) claims an impossible size of \(claimed) bytes")
        }
        let range = try ZIPDirectory.dataRange(of: entry, in: raw, file: file, label: member)
        let source = UnsafeRawBufferPointer(rebasing: raw[range])
        let expected = Int(claimed)
        let bytes: [UInt8]
        let checksum: UInt32
        switch entry.method {
        case 0:
            guard claimed == stored else {
                throw .malformed(
                    file,
                    "\(member) is stored uncompressed but its sizes disagree (\(stored) stored, \(claimed) uncompressed)"
                )
            }
            bytes = [UInt8](source)
            checksum = Inflate.crc32Checksum(source)
        case 8:
            let (bound, overflow) = stored.multipliedReportingOverflow(by: maximumDeflateRatio)
            guard overflow || claimed <= bound + 1024 else {
                throw .malformed(
                    file,
                    "\(member) claims \(claimed) bytes from \(stored) deflated bytes, more than deflate can produce")
            }
            do throws(Inflate.Failure) {
                (bytes, checksum) = try Inflate.decode(source, expectedCount: expected)
            } catch {
                switch error {
                case .tooLong:
                    throw .malformed(
                        file, "\(member) decompresses to more than the \(expected) bytes the ZIP directory claims")
                case .truncated(let produced):
                    throw .malformed(
                        file,
                        "\(member) is truncated: its deflate stream ends after \(produced) of \(expected) bytes without an end-of-stream marker"
                    )
                case .corrupt(let reason):
                    throw .malformed(file, "\(member) cannot be inflated (\(reason))")
                }
            }
            guard bytes.count == expected else {
                throw .malformed(file, "\(member) is truncated: \(bytes.count) of \(expected) bytes")
            }
        default:
            throw .unsupported(
                file,
                "\(member) uses ZIP compression method \(entry.method); only stored (0) and deflate (8) are supported")
        }
        guard checksum == entry.crc32 else {
            throw .malformed(file, "\(member) fails its CRC-32 check (the data is corrupt)")
        }
        return bytes
    }
}

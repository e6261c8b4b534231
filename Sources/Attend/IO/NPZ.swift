import Foundation
import ZIPFoundation

/// NumPy `.npz` files: a ZIP archive with one `.npy` member per array (`np.savez` stores them,
/// `np.savez_compressed` deflates them). Member `"name.npy"` is array `"name"`.
///
/// Reading (via ZIPFoundation) accepts stored and deflated members, including the ZIP64 extra
/// fields NumPy writes. Each member's CRC-32 is verified, its size is checked against the ZIP
/// directory before and during extraction (a deflated member may not claim more than deflate's
/// 1032:1 maximum ratio, and extraction stops as soon as a member outputs more than it claimed),
/// and the member is then decoded with the same checks as a `.npy` file. Directory and symlink
/// members, duplicate names and members that are not `.npy` arrays are refused.
///
/// Writing stores members uncompressed (or deflated with `compressed: true`), atomically.
///
/// Known limitation: ZIPFoundation 0.9.20's Linux inflate loop never stops if a deflate stream reaches
/// the end of the archive file without finishing (upstream PR weichsel/ZIPFoundation#389). The
/// size guards above stop small crafted cases, but a deliberately crafted archive (valid ZIP
/// structure, a large deflated member whose stream never ends) can still make `read` spin. Ordinary
/// truncation is reported, because it also cuts off the ZIP end record. ZIPFoundation exposes no
/// member data offsets, so this cannot be prevented here without hand-parsing ZIP.
public enum NPZ {
    /// Upper bound on the deflate expansion ratio (the format's theoretical maximum is about 1032:1).
    static let maximumDeflateRatio: UInt64 = 1032
    /// Extraction buffer size.
    static let chunkSize = 64 * 1024

    /// Reads every array of a `.npz` file; names are member names without `.npy`.
    /// - Throws: `FileFormatError` naming the file (and member) and the problem.
    public static func read(contentsOf url: URL) throws -> [String: ArrayData] {
        let file = ArrayFileAccess.displayName(url)
        try ArrayFileAccess.requireFile(url)
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw FileFormatError.malformed(file, "not a readable ZIP archive (\(describe(error)))")
        }
        var arrays: [String: ArrayData] = [:]
        for entry in archive {
            let path = entry.path
            let member = "member \(HeaderJSON.quoted(path))"
            guard entry.type == .file else {
                throw FileFormatError.unsupported(file, "\(member) is a \(entry.type == .directory ? "directory" : "symbolic link"), not an array")
            }
            let name = path.hasSuffix(".npy") ? String(path.dropLast(4)) : path
            guard arrays[name] == nil else {
                throw FileFormatError.malformed(file, "\(member) repeats the array name \(HeaderJSON.quoted(name))")
            }
            let data = try extract(entry, from: archive, file: file, member: member)
            do {
                arrays[name] = try NPY.decode(data, name: path)
            } catch let error as FileFormatError {
                throw error.nested(in: file, context: member)
            }
        }
        return arrays
    }

    /// Writes named arrays to `url` as a `.npz` file (member `"name.npy"` per array), atomically:
    /// the archive is built in a temporary file in the same directory that is then renamed over `url`.
    /// - Parameter compressed: deflate the members, like `np.savez_compressed`.
    public static func write(_ arrays: [String: ArrayData], to url: URL, compressed: Bool = false) throws {
        let file = ArrayFileAccess.displayName(url)
        for name in arrays.keys.sorted() {
            guard let array = arrays[name] else { continue }
            if name.isEmpty || name.hasPrefix("/") || name.contains("\0") {
                throw FileFormatError.invalidArgument(file, "array name \(HeaderJSON.quoted(name)) cannot be a ZIP member name")
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
    private static func extract(_ entry: Entry, from archive: Archive, file: String, member: String) throws -> Data {
        let claimed = entry.uncompressedSize
        let stored = entry.compressedSize
        guard claimed <= UInt64(Int.max) else {
            throw FileFormatError.malformed(file, "\(member) claims an impossible size of \(claimed) bytes")
        }
        if entry.isCompressed {
            let (bound, overflow) = stored.multipliedReportingOverflow(by: maximumDeflateRatio)
            guard overflow || claimed <= bound + 1024 else {
                throw FileFormatError.malformed(file, "\(member) claims \(claimed) bytes from \(stored) deflated bytes, more than deflate can produce")
            }
        } else {
            guard claimed == stored else {
                throw FileFormatError.malformed(file, "\(member) is stored uncompressed but its sizes disagree (\(stored) stored, \(claimed) uncompressed)")
            }
        }
        let expected = Int(claimed)
        var data = Data()
        var overrun = false
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, bufferSize: chunkSize, skipCRC32: false) { chunk in
                guard chunk.count <= expected - data.count else {
                    overrun = true
                    throw CancellationError()
                }
                data.append(chunk)
            }
        } catch {
            if overrun {
                throw FileFormatError.malformed(file, "\(member) decompresses to more than the \(expected) bytes the ZIP directory claims")
            }
            throw FileFormatError.malformed(file, "\(member) cannot be extracted (\(describe(error)))")
        }
        guard data.count == expected else {
            throw FileFormatError.malformed(file, "\(member) is truncated: \(data.count) of \(expected) bytes")
        }
        guard checksum == entry.checksum else {
            throw FileFormatError.malformed(file, "\(member) fails its CRC-32 check (the data is corrupt)")
        }
        return data
    }

    private static func describe(_ error: any Error) -> String {
        if let archiveError = error as? Archive.ArchiveError {
            switch archiveError {
            case .missingEndOfCentralDirectoryRecord: return "no end-of-central-directory record; not a ZIP file or truncated"
            case .unreadableArchive: return "unreadable or damaged archive"
            case .invalidCompressionMethod: return "unsupported compression method"
            default: return "\(archiveError)"
            }
        }
        return String(describing: error)
    }
}

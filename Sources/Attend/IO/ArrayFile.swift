import Foundation

/// Reads any supported array file, chosen by extension (case-insensitive):
/// `.npy` (one array, named after the file stem), `.npz` and `.safetensors` (named arrays).
public enum ArrayFile {
    /// Every array in the file, by name. A `.npy` file gives one entry named after the file stem.
    /// - Throws: `FileFormatError`; kind `.unsupported` for an unknown extension.
    public static func readAll(contentsOf url: URL) throws -> [String: ArrayData] {
        switch url.pathExtension.lowercased() {
        case "npy": return [url.deletingPathExtension().lastPathComponent: try NPY.read(contentsOf: url)]
        case "npz": return try NPZ.read(contentsOf: url)
        case "safetensors": return try SafeTensors.read(contentsOf: url)
        default:
            let ext = url.pathExtension.isEmpty ? "no extension" : "extension \".\(url.pathExtension)\""
            throw FileFormatError.unsupported(
                ArrayFileAccess.displayName(url),
                "\(ext) is not an array file (expected .npy, .npz or .safetensors)")
        }
    }

    /// The one array in the file: a `.npy` file, or a `.npz`/`.safetensors` file holding exactly one array.
    /// - Throws: `FileFormatError` if the file holds no array or several.
    public static func readSingle(contentsOf url: URL) throws -> ArrayData {
        if url.pathExtension.lowercased() == "npy" { return try NPY.read(contentsOf: url) }
        let arrays = try readAll(contentsOf: url)
        guard arrays.count == 1, let only = arrays.first else {
            let names = arrays.keys.sorted().map { HeaderJSON.quoted($0) }.joined(separator: ", ")
            let holds = arrays.isEmpty ? "holds no arrays" : "holds \(arrays.count) arrays (\(names))"
            throw FileFormatError.invalidArgument(ArrayFileAccess.displayName(url), "\(holds); expected exactly one")
        }
        return only.value
    }
}

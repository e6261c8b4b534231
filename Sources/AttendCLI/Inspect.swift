import ArgumentParser
import Attend
import Foundation

/// `attend inspect FILE`: what a model or array file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors (name, dtype, shape) and metadata of a .gguf, .safetensors or .npz file.")

    @Argument(help: "The file.") var file: String
    @Flag(help: "Print every metadata value in full (long strings and arrays are shortened by default).") var full =
        false

    func run() throws {
        let url = URL(fileURLWithPath: file)
        do {
            switch url.pathExtension.lowercased() {
            case "gguf":
                let gguf = try GGUFFile(contentsOf: url)
                print(
                    "\(gguf.name): GGUF v\(gguf.version), \(gguf.tensors.count) tensors, \(gguf.metadata.count) metadata entries, alignment \(gguf.alignment)"
                )
                print("metadata:")
                for (key, value) in gguf.metadata {
                    print("  \(key) (\(value.typeName)) = \(value.summary(limit: full ? Int.max : 60))")
                }
                print("tensors:")
                for t in gguf.tensors {
                    print("  \(t.name)  \(t.type.name)  \(t.shape)  \(t.byteCount) bytes")
                }
            case "safetensors", "npz", "npy":
                let arrays = try ArrayFile.readAll(contentsOf: url)
                print("\(url.lastPathComponent): \(arrays.count) arrays")
                if url.pathExtension.lowercased() == "safetensors",
                    let metadata = try SafeTensors.metadata(contentsOf: url), !metadata.isEmpty
                {
                    print("metadata:")
                    for key in metadata.keys.sorted() { print("  \(key) = \(metadata[key] ?? "")") }
                }
                print("tensors:")
                for name in arrays.keys.sorted() {
                    let a = arrays[name]!
                    print("  \(name)  \(a.dtype.rawValue)  \(a.shape)  \(a.bytes.count) bytes")
                }
            default:
                throw CLIError("attend inspect: \(file): expected a .gguf, .safetensors, .npz or .npy file")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("attend inspect: \(error)")
        }
    }
}

import ArgumentParser
import Attend
import Foundation

/// `attend inspect FILE`: what a model or array file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors (name, dtype, shape) and metadata of a .gguf, .safetensors or .npz file.",
        discussion: """
            A GGUF file's tensors of ggml types Attend does not compute with (Q2_K, IQ4_XS, …) are listed \
            too, marked "not computable". With --tensor NAME --save OUT.npy, one tensor is written \
            dequantized to float32 (row-major, the shape as listed), to compare against other tools.
            """)

    @Argument(help: "The file.") var file: String
    @Flag(help: "Print every metadata value in full (long strings and arrays are shortened by default).") var full =
        false
    @Option(help: "With --save: the tensor to write.") var tensor: String?
    @Option(help: "Write --tensor dequantized to float32 to this .npy file.") var save: String?

    func validate() throws {
        if (tensor == nil) != (save == nil) { throw CLIError("attend inspect: --tensor and --save go together") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: file)
        do {
            switch url.pathExtension.lowercased() {
            case "gguf":
                let gguf = try GGUFFile(contentsOf: url)
                if let tensor, let save {
                    let values = try gguf.tensor(named: tensor)
                    try NPY.write(
                        ArrayData(shape: values.shape, float32: values.scalars), to: URL(fileURLWithPath: save))
                    print("\(tensor) (\(values.shape)) → \(save), float32")
                    return
                }
                print(
                    "\(gguf.name): GGUF v\(gguf.version), \(gguf.tensors.count + gguf.otherTensors.count) tensors, \(gguf.metadata.count) metadata entries, alignment \(gguf.alignment)"
                )
                print("metadata:")
                for (key, value) in gguf.metadata {
                    print("  \(key) (\(value.typeName)) = \(value.summary(limit: full ? Int.max : 60))")
                }
                print("tensors:")
                // In data order, whatever the type.
                let listed =
                    gguf.tensors.map {
                        ($0.offset, "  \($0.name)  \($0.type.name)  \($0.shape)  \($0.byteCount) bytes")
                    }
                    + gguf.otherTensors.map {
                        (
                            $0.offset,
                            "  \($0.name)  \($0.typeName)  \($0.shape)  \($0.byteCount) bytes  (not computable)"
                        )
                    }
                for (_, line) in listed.sorted(by: { $0.0 < $1.0 }) { print(line) }
                if !gguf.otherTensors.isEmpty {
                    let types = Set(gguf.otherTensors.map(\.typeName)).sorted().joined(separator: ", ")
                    print(
                        "\(gguf.otherTensors.count) tensors are of types Attend does not compute with (\(types)); it computes with \(GGUFTensorType.allCases.map(\.name).joined(separator: ", "))"
                    )
                }
            case "safetensors", "npz", "npy":
                if tensor != nil { throw CLIError("attend inspect: --tensor/--save read .gguf files") }
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

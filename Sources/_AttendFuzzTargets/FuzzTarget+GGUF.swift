import Attend
import Foundation

extension FuzzTarget {
    /// Largest tensor the GGUF harness dequantizes, so that it measures the reader, not the
    /// machine's memory (the reader itself checks every tensor's extent against the file's bytes).
    static let ggufElementLimit = 1 << 16

    /// Parses the bytes as a GGUF file, summarizes every metadata value (arrays included) and
    /// dequantizes every tensor of at most `ggufElementLimit` elements.
    static func gguf(_ data: Data) throws {
        let file = try GGUFFile(data: data, name: "fuzz.gguf")
        for entry in file.metadata { _ = entry.value.summary() }
        for info in file.tensors where info.elementCount <= ggufElementLimit {
            let tensor = try file.tensor(named: info.name)
            precondition(tensor.shape == info.shape, "GGUF harness: \(info.name) came back as \(tensor.shape)")
        }
    }
}

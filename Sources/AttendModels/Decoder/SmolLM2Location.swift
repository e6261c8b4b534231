import Foundation

/// Where `scripts/fetch_model.py smollm2` puts SmolLM2-135M-Instruct:
/// `$ATTEND_CACHE/models/smollm2/` when `ATTEND_CACHE` is set, else `~/.cache/attend/models/smollm2/`.
public enum SmolLM2Location {
    /// The file's name in the cache folder (the 4-bit `Q4_1` GGUF of SmolLM2-135M-Instruct).
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// The command that fetches the model, quoted in the error ``existingModelURL()`` throws.
    public static let fetchCommand = "python3 scripts/fetch_model.py smollm2"

    /// The expected path of the GGUF file (whether or not it exists).
    public static var modelURL: URL {
        let environment = ProcessInfo.processInfo.environment["ATTEND_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        let root =
            environment.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/attend")
        return root.appendingPathComponent("models/smollm2/\(fileName)")
    }

    /// The path of the fetched model file.
    /// - Throws: ``DecoderModelError`` naming the path and the fetch command when it is absent.
    public static func existingModelURL() throws -> URL {
        let url = modelURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DecoderModelError("the SmolLM2 model is not at \(url.path); fetch it with `\(fetchCommand)`")
        }
        return url
    }
}

import AttendModels
import Foundation

/// The GGUF branch of `attend tokenize --model smollm2|FILE.gguf "text"`. Special tokens written
/// in the text (`<|im_start|>`) are kept whole.
enum SmolLM2Tokenize {
    /// The ids and token strings of `text`, from the GGUF tokenizer of `file` or of the fetched
    /// SmolLM2 (a missing model is a `CLIError` naming the fetch script or the file).
    static func tokens(of text: String, file path: String? = nil) throws -> (ids: [Int], tokens: [String]) {
        let command = "attend tokenize --model \(path ?? "smollm2")"
        let file = try SmolLM2Command.loadFile(command: command, model: path)
        let tokenizer: BytePairEncoding
        do {
            tokenizer = try BytePairEncoding(gguf: file)
        } catch {
            throw CLIError("\(command): \(error)")
        }
        let ids = tokenizer.encode(text)
        return (ids, ids.map { tokenizer.tokens[$0] })
    }
}

import AttendModels
import Foundation

/// The SmolLM2 branch of `attend tokenize --model smollm2 "text"`. Special tokens written in the
/// text (`<|im_start|>`) are kept whole.
enum SmolLM2Tokenize {
    /// The ids and token strings of `text`, from the fetched model's GGUF tokenizer (a missing
    /// model is a `CLIError` naming the fetch script).
    static func tokens(of text: String) throws -> (ids: [Int], tokens: [String]) {
        let command = "attend tokenize --model smollm2"
        let file = try SmolLM2Command.loadFile(command: command)
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

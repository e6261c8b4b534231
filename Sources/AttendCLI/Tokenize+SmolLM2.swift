import AttendModels
import Foundation

/// The SmolLM2 branch of `attend tokenize --model smollm2 "text"`: ids and tokens, or with
/// `json` `{"ids": […], "tokens": […]}`. Special tokens written in the text are kept whole.
/// (The `tokenize` command itself, with its `--model` switch, calls this.)
enum SmolLM2Tokenize {
    static func output(text: String, json: Bool, tokenizer: BytePairEncoding) -> String {
        let ids = tokenizer.encode(text)
        let tokens = ids.map { tokenizer.tokens[$0] }
        if json {
            return "{\"ids\": [\(ids.map(String.init).joined(separator: ", "))], \"tokens\": [\(tokens.map(JSONText.quoted).joined(separator: ", "))]}"
        }
        return zip(ids, tokens).map { "\($0)\t\($1)" }.joined(separator: "\n")
    }

    /// Loads the tokenizer from the fetched model (a missing model is a `CLIError` naming the fetch script).
    static func run(text: String, json: Bool) throws {
        let file = try SmolLM2Command.loadFile(command: "attend tokenize --model smollm2")
        let tokenizer: BytePairEncoding
        do {
            tokenizer = try BytePairEncoding(gguf: file)
        } catch {
            throw CLIError("attend tokenize --model smollm2: \(error)")
        }
        print(output(text: text, json: json, tokenizer: tokenizer))
    }
}

import ArgumentParser
import AttendModels
import Foundation

/// `attend tokenize "text"`: the token ids and token strings of a model's tokenizer.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids and tokens of a text.",
        discussion: """
            --model picks the tokenizer: minilm (default; all-MiniLM-L6-v2's BERT WordPiece, fetched by \
            `python3 scripts/fetch_model.py minilm`), smollm2 (SmolLM2's byte-level BPE from its GGUF \
            metadata, fetched by `python3 scripts/fetch_model.py smollm2`; special tokens such as \
            <|im_start|> written in the text are kept whole) or a model folder.
            """)

    @Argument(help: "The text to tokenize.") var text: String
    @Option(help: "Model name (minilm, smollm2), a sentence-transformers folder or a .gguf file.") var model: String?
    @Flag(help: #"Print {"ids": […], "tokens": […]}."#) var json = false

    func run() throws {
        let (choice, kind) = ModelChoice.resolve(model)
        let ids: [Int]
        let tokens: [String]
        switch kind {
        case .bertWordPiece:
            let tokenizer = try loadModel(choice, command: "attend tokenize") {
                try BertTokenizer(directory: choice.directory, model: choice.cacheName)
            }
            (ids, tokens) = {
                let t = tokenizer.tokenize(text)
                return (t.ids, t.tokens)
            }()
        case .ggufBytePairEncoding:
            (ids, tokens) = try SmolLM2Tokenize.tokens(of: text, file: choice.name == "smollm2" ? nil : choice.name)
        }
        if json {
            struct Output: Encodable { var ids: [Int], tokens: [String] }
            print(try jsonText(Output(ids: ids, tokens: tokens)))
        } else {
            var table = TextTable([("#", .right), ("id", .right), ("token", .left)])
            for (i, (id, token)) in zip(ids, tokens).enumerated() { table.append(["\(i)", "\(id)", token]) }
            print(table.rendered())
        }
    }
}

/// Loads a model, turning a ``ModelError`` (or any other) into the one-line `CLIError` (exit 2).
func loadModel<T>(_ choice: ModelChoice, command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ModelError {
        throw CLIError("\(command): \(error.description)")
    } catch {
        throw CLIError("\(command): --model \(choice.name): \(libraryMessage(error))")
    }
}

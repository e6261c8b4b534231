import ArgumentParser
import Attend
import AttendModels
import Foundation

/// `attend generate`: text from SmolLM2-135M-Instruct, streamed token by token.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Generate text with a Llama-family GGUF model (default: SmolLM2-135M-Instruct Q4_1), streaming to stdout.",
        discussion: """
            The prompt is used exactly as written (special tokens such as <|im_start|> included) unless \
            --chat wraps it in the model's chat template as one user message. Prompt and decode tokens per \
            second go to stderr, on a line of their own. --model takes a GGUF file (weights F32, F16, BF16, \
            Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K); without it the model comes from \
            `python3 scripts/fetch_model.py smollm2` ($ATTEND_CACHE/models/smollm2/ or \
            ~/.cache/attend/models/smollm2/).
            """)

    @Argument(help: "The prompt.") var prompt: String
    @Option(help: "A GGUF model file (default: the cached SmolLM2-135M-Instruct Q4_1).") var model: String?
    @Flag(help: "Apply the model's chat template to the prompt as a user message.") var chat = false
    @Option(help: "Most tokens to generate (stops earlier at the end-of-sequence token).") var maxTokens = 128
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = 0.0
    @Option(help: "Sample only among the K most likely tokens.") var topK: Int?
    @Option(help: "Sample only among the most likely tokens whose probability reaches P.") var topP: Double?
    @Option(help: "Repetition penalty (1 = none).") var repetitionPenalty = 1.0
    @Option(help: "Seed of the sampling generator.") var seed: UInt64 = 0
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "Keep generating after the end-of-sequence token (benchmarks: always --max-tokens steps).")
    var ignoreEos = false
    @Flag(help: "Dequantize every weight to float32 at load (the plain GEMM path) instead of keeping the GGUF blocks.")
    var dequantize = false
    @Flag(help: "Print {\"prompt_ids\": […], \"generated_ids\": […], \"text\": \"…\"} instead of streaming the text.")
    var json = false

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        let generator = try SmolLM2Command.loadGenerator(
            command: "attend generate", model: model, weights: dequantize ? .dequantized : .quantized)
        let sampler: Sampler
        do {
            sampler = try Sampler(
                temperature: temperature, topK: topK, topP: topP, repetitionPenalty: repetitionPenalty, seed: seed)
        } catch {
            throw CLIError("attend generate: \(error)")
        }
        var text = prompt
        if chat {
            guard let template = generator.chatTemplate else {
                throw CLIError("attend generate --chat: the model has no chat template")
            }
            do {
                text = try ChatTemplate(template: template).prompt(user: prompt)
            } catch {
                throw CLIError("attend generate --chat: \(error)")
            }
        }
        let ids = generator.tokenizer.encode(text)
        let result: TextGenerator.Result
        do {
            result = try generator.generate(
                promptIDs: ids, maxTokens: maxTokens, sampler: sampler, stopAtEndOfSequence: !ignoreEos
            ) { piece in
                if !json, !piece.isEmpty {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            }
        } catch {
            throw CLIError("attend generate: \(error)")
        }
        if json {
            let text = try jsonText(result.text)
            print(
                "{\"prompt_ids\": [\(result.promptIDs.map(String.init).joined(separator: ", "))], "
                    + "\"generated_ids\": [\(result.generatedIDs.map(String.init).joined(separator: ", "))], "
                    + "\"text\": \(text)}")
        } else {
            // The text went out unbuffered; so must its newline, before the speed line on stderr.
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
        // Step n (1-based) is the decode step that runs with n − 1 generated tokens behind it.
        var steps = ""
        for n in [16, 128, 512] where result.stepSeconds.count >= n {
            steps += String(format: "; step %d %.2f ms", n, 1000 * result.stepSeconds[n - 1])
        }
        StandardError.writeLine(
            String(
                format: "prompt: %d tokens, %.1f tokens/s; decode: %d tokens, %.1f tokens/s",
                ids.count, Double(ids.count) / result.prefillSeconds, result.stepSeconds.count,
                result.stepSeconds.isEmpty ? 0 : Double(result.stepSeconds.count) / result.stepSeconds.reduce(0, +))
                + steps)
    }
}

/// Loading a GGUF text model (the cached SmolLM2 unless a file is given) for the commands that use it.
enum SmolLM2Command {
    /// The model's tokenizer and decoder; a missing model is a `CLIError` naming the fetch script
    /// (or the file given).
    static func loadGenerator(command: String, model: String? = nil, weights: WeightFormat = .quantized) throws
        -> TextGenerator
    {
        let file = try loadFile(command: command, model: model)
        do {
            return try TextGenerator(gguf: file, weights: weights)
        } catch {
            throw CLIError("\(command): \(error)")
        }
    }

    static func loadFile(command: String, model: String? = nil) throws -> GGUFFile {
        let url: URL
        do {
            url = try model.map { URL(fileURLWithPath: $0) } ?? SmolLM2Location.existingModelURL()
        } catch {
            throw CLIError("\(command): \(error)")
        }
        do {
            return try GGUFFile(contentsOf: url)
        } catch {
            throw CLIError("\(command): \(error)")
        }
    }
}

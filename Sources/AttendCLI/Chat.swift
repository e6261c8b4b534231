import ArgumentParser
import Attend
import AttendModels
import Foundation

/// `attend chat`: a conversation with a GGUF chat model, one message a line.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a GGUF model (default: SmolLM2-135M-Instruct): one message a line, replies streamed.",
        discussion: """
            The conversation stays in the model's KV cache: each message runs only its own new tokens \\
            (Conversation in AttendModels). Type /reset to start over, /quit (or end the input) to leave. \\
            On a terminal a "> " prompt is shown and each reply's speed goes to stderr; with piped input \\
            each reply is one line on stdout.
            """)

    @Option(help: "A GGUF model file (default: the cached SmolLM2-135M-Instruct Q4_1).") var model: String?
    @Option(help: "Most tokens per reply.") var maxTokens = 512
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = 0.0
    @Option(help: "Sample only among the K most likely tokens.") var topK: Int?
    @Option(help: "Sample only among the most likely tokens whose probability reaches P.") var topP: Double?
    @Option(help: "Seed of the sampling generator.") var seed: UInt64 = 0
    @Option(help: "Positions the conversation may take (the KV cache's size).") var context = 4096
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    static let command = "attend chat"

    func validate() throws {
        guard maxTokens > 0, context > 0 else {
            throw CLIError("\(Self.command): --max-tokens and --context must be positive")
        }
        if let threads, threads < 1 { throw CLIError("\(Self.command): --threads must be at least 1") }
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        let generator = try SmolLM2Command.loadGenerator(command: Self.command, model: model)
        var conversation: Conversation
        let sampler: Sampler
        do {
            conversation = try Conversation(generator: generator, capacity: context)
            sampler = try Sampler(temperature: temperature, topK: topK, topP: topP, seed: seed)
        } catch {
            throw CLIError("\(Self.command): \(error)")
        }
        let interactive = isatty(STDIN_FILENO) != 0
        while true {
            if interactive { StandardError.write("> ") }
            guard let line = readLine(strippingNewline: true) else { break }
            let message = line.trimmingCharacters(in: .whitespaces)
            switch message {
            case "": continue
            case "/quit", "/exit": return
            case "/reset":
                conversation.reset()
                if interactive { StandardError.writeLine("(conversation reset)") }
                continue
            default: break
            }
            do {
                let turn = try conversation.reply(to: message, maxTokens: maxTokens, sampler: sampler) { piece in
                    FileHandle.standardOutput.write(
                        Data(piece.replacingOccurrences(of: "\n", with: interactive ? "\n" : " ").utf8))
                }
                FileHandle.standardOutput.write(Data("\n".utf8))
                if interactive {
                    let steps = turn.result.stepSeconds
                    StandardError.writeLine(
                        String(
                            format: "(%d new tokens%@, %d generated, %.1f tokens/s; %d of %d positions used)",
                            turn.newPromptTokens, turn.restarted ? " — cache restarted" : "",
                            turn.result.generatedIDs.count,
                            steps.isEmpty ? 0 : Double(steps.count) / steps.reduce(0, +), conversation.cachedIDs.count,
                            conversation.capacity))
                }
            } catch {
                StandardError.writeLine("\(Self.command): \(error) (type /reset to start over)")
                if !interactive { throw CLIError("\(Self.command): \(error)") }
            }
        }
    }
}

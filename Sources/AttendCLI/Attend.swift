import ArgumentParser
import Foundation

/// The `attend` tool: `compare`, `run`, `explain` (and `bench`).
///
/// Exit statuses, the same for every subcommand:
/// - 0: success (also `--help`);
/// - 1: `attend compare` found a case whose error exceeds its bound;
/// - 2: bad input — a usage error, a missing or unreadable file, a shape or equation the op
///   rejects. The message is one line on stderr and no output file is written.
@main
struct AttendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Transformer attention on OpenBLAS, cross-checked against an independent reference.",
        discussion: """
            attend compare   every op through BLAS and the pure-Swift reference: errors, bounds, timings, PASS/FAIL
            attend run       one op on your own .npy files (see 'attend run --help')
            attend explain   the BLAS calls and copies an op will make, without running it
            attend bench     SDPA, causal SDPA and multi-head attention timed on a fixed grid
            attend embed     sentence embeddings (all-MiniLM-L6-v2), similarities, semantic search
            attend tokenize  a model's token ids and tokens for a text
            attend generate  text from SmolLM2-135M-Instruct with a KV-cached decoder
            attend serve     an OpenAI-compatible HTTP server for embeddings and chat (batched)
            attend inspect   the tensors and metadata of a .gguf, .safetensors or .npz file
            attend doctor    CPU, OpenBLAS kernel core (corrected if it fell back), threads, measured FMA peak

            Exit status: 0 success, 1 a compare case exceeded its error bound, 2 bad input or usage.
            """,
        subcommands: [
            Compare.self, Run.self, Explain.self, Bench.self, Embed.self, Tokenize.self, Generate.self, Chat.self,
            Serve.self,
            Inspect.self,
            Doctor.self,
        ])

    /// Parses, runs, and maps every outcome to the exit statuses above (ArgumentParser's own
    /// default for usage errors is 64; this tool promises 2).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            StandardError.writeLine(error.message)
            Foundation.exit(ExitStatus.badInput)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: the text goes to stdout.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            StandardError.writeLine(fullMessage(for: error))
            Foundation.exit(ExitStatus.badInput)
        }
        Foundation.exit(0)
    }
}

/// The tool's exit statuses.
enum ExitStatus {
    /// A compare case exceeded its bound.
    static let boundExceeded: Int32 = 1
    /// Bad input or usage.
    static let badInput: Int32 = 2
}

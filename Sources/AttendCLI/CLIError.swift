import Attend
import AttendReference
import AttendVerification
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bad input from the user: printed as ONE line on stderr, exit status 2.
///
/// The line names the command, the argument and the library's own explanation:
///
///     attend run sdpa: --mask m.npy: scaledDotProductAttention: mayAttend mask [3, 5] does not broadcast …
struct CLIError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) {
        // One line, whatever the library's text holds.
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    var description: String { message }
}

/// How a command names itself and its arguments in error messages (`attend run sdpa`).
struct ErrorContext {
    /// `attend run sdpa`, `attend compare`, `attend explain`.
    let command: String

    /// Runs `body`, turning any library error into a `CLIError` that names `argument`
    /// (e.g. `--query q.npy`). A `CLIError` passes through unchanged.
    func attributing<T>(to argument: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(command): \(argument): \(libraryMessage(error, argument: argument))")
        }
    }

    /// A `CLIError` for this command.
    func error(_ argument: String, _ message: String) -> CLIError {
        CLIError("\(command): \(argument): \(message)")
    }
}

/// The library's text for an error: `TensorError` and `ReferenceError` as `op: message`,
/// `FileFormatError` as `file: problem` — without repeating the file name when the argument
/// already shows it (`--query q.npy: no such file`).
func libraryMessage(_ error: any Error, argument: String = "") -> String {
    switch error {
    case let error as TensorError:
        return error.description
    case let error as ReferenceError:
        return error.description
    case let error as FileFormatError:
        if argument.hasSuffix(" " + error.file) || argument.hasSuffix("/" + error.file) { return error.problem }
        return error.description
    case let error as CLIError:
        return error.message
    default:
        return String(describing: error)
    }
}

/// Writing to stderr (progress and error lines), keeping stdout clean for pipes.
enum StandardError {
    static func writeLine(_ text: String) {
        write(text + "\n")
    }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether stderr is a terminal (progress lines are shown only then).
    static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

import Attend
import Foundation
import Testing

/// The DocC articles quote the tool's output: a block marked `<!-- attend: ARGS -->` must be
/// exactly what `attend ARGS` prints today, so the quoted plans cannot drift from the code.
@Suite("The articles' quoted attend output")
struct ArticleOutputTests {
    struct Quote: CustomStringConvertible {
        let article: String, line: Int
        let arguments: [String]
        let text: String
        var description: String { "\(article):\(line) attend \(arguments.joined(separator: " "))" }
    }

    /// Every marked block of every article in the catalogs.
    static func quotes() throws -> [Quote] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let catalogs = root.appendingPathComponent("Sources")
        var result: [Quote] = []
        let files =
            FileManager.default.enumerator(at: catalogs, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "md" && $0.path.contains(".docc/") } ?? []
        for file in files.sorted(by: { $0.path < $1.path }) {
            let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
            var index = 0
            while index < lines.count {
                let line = lines[index].trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("<!-- attend: "), line.hasSuffix("-->") else {
                    index += 1
                    continue
                }
                let command = line.dropFirst("<!-- attend: ".count).dropLast(3).trimmingCharacters(in: .whitespaces)
                guard index + 1 < lines.count, lines[index + 1].hasPrefix("```") else {
                    throw CLITestError(
                        "\(file.lastPathComponent):\(index + 1): an attend marker must stand right above a code block")
                }
                var body: [String] = []
                var end = index + 2
                while end < lines.count, !lines[end].hasPrefix("```") {
                    body.append(lines[end])
                    end += 1
                }
                result.append(
                    Quote(
                        article: file.lastPathComponent, line: index + 1, arguments: Self.split(command),
                        text: body.joined(separator: "\n")))
                index = end + 1
            }
        }
        return result
    }

    /// Splits on spaces, keeping "double-quoted" words together (enough for these commands).
    static func split(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in command {
            if character == "\"" {
                quoted.toggle()
                continue
            }
            if character == " ", !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    @Test("each quoted `attend explain` block is the tool's current output, verbatim")
    func quotedOutput() throws {
        let quotes = try Self.quotes()
        #expect(quotes.count >= 3)
        // The fused plan names the kernel path; the articles show the AVX2 one, which a CPU
        // without AVX2 + FMA cannot print.
        for quote in quotes where KernelPath.supported.contains(.avx2) || !quote.text.contains("kernel path") {
            let outcome = try AttendTool.run(quote.arguments, environment: ["ATTEND_KERNELS": "avx2"])
            #expect(outcome.status == 0, "\(quote): \(outcome)")
            let printed = outcome.stdout.hasSuffix("\n") ? String(outcome.stdout.dropLast()) : outcome.stdout
            #expect(printed == quote.text, "\(quote) prints something else now:\n\(printed)")
        }
    }
}

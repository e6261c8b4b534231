import Foundation
import Testing

/// `KernelsAndDoctor.md` explains `attend doctor` line by line in a table instead of quoting
/// this machine's values; the table's first column must be the labels the tool prints, in order.
@Suite("The kernels article's attend doctor table")
struct DoctorArticleTests {
    @Test("the article's table lists exactly the labels attend doctor prints, in order")
    func labelsMatch() throws {
        let article = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Attend/Attend.docc/KernelsAndDoctor.md")
        let lines = try String(contentsOf: article, encoding: .utf8).components(separatedBy: "\n")
        guard let header = lines.firstIndex(of: "| line | what it says | what to do when it looks wrong |") else {
            throw CLITestError("KernelsAndDoctor.md has no doctor table")
        }
        let documented = lines[(header + 2)...].prefix { $0.hasPrefix("| `") }.map { row in
            String(row.dropFirst(3).prefix { $0 != "`" })
        }
        let outcome = try AttendTool.run(["doctor", "--skip-peak"])
        try #require(outcome.status == 0, "\(outcome)")
        // Every line after the title is an 18-character label column and its value; continuation
        // lines have an empty label.
        let printed = outcome.stdoutLines.dropFirst().map { String($0.prefix(18)).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        #expect(documented == printed, "article \(documented) vs attend doctor \(printed)")
    }
}

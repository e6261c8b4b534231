import Foundation

/// A plain-text table with aligned columns.
struct TextTable {
    enum Alignment { case left, right }

    var columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "TextTable: a row of \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// The header, a rule, and the rows; columns separated by two spaces.
    func rendered() -> String {
        var widths = columns.map(\.title.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return columns[i].alignment == .left ? cell + padding : padding + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [
            line(columns.map(\.title)), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "),
        ]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

/// Number formats of the compare table.
enum Format {
    /// `3.05e-06`, `0`, `inf`.
    static func scientific(_ x: Double) -> String {
        if x.isNaN { return "—" }
        if x.isInfinite { return "inf" }
        return x == 0 ? "0" : String(format: "%.2e", x)
    }

    /// An error/bound ratio: `0.412`, `3.1e-04`, `0`, `inf`.
    static func ratio(_ x: Double) -> String {
        if x.isNaN { return "—" }
        if x.isInfinite { return "inf" }
        if x == 0 { return "0" }
        return x < 1e-3 || x >= 1e3 ? String(format: "%.1e", x) : String(format: "%.3f", x)
    }

    /// Milliseconds with three significant digits or so.
    static func milliseconds(_ x: Double) -> String {
        if !x.isFinite { return "—" }
        return x < 10 ? String(format: "%.3f", x) : x < 1000 ? String(format: "%.1f", x) : String(format: "%.0f", x)
    }

    static func speedup(_ x: Double) -> String {
        if !x.isFinite { return "—" }
        return x < 10 ? String(format: "%.1f×", x) : String(format: "%.0f×", x)
    }

    static func gflops(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "—" }
        return String(format: "%.1f", x)
    }
}

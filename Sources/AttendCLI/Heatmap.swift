import Foundation

/// A matrix drawn as an SVG heatmap: one square cell per value on a sequential colour scale
/// (viridis), labelled rows and columns, axis titles and a colour bar with its range.
///
/// SVG is text, so no image library is needed; a browser, DocC or any SVG viewer shows it. It
/// lives in the tool rather than the library: drawing is presentation, and `Attend`'s public
/// surface stays the numerics.
///
///     let map = try Heatmap(values: weights, rows: 4, columns: 4, title: "causal")   // row-major
///     let text = map.svg()                                                              // <svg …>…</svg>
struct Heatmap {
    /// Row-major, `rows × columns`.
    let values: [Double]
    let rows: Int, columns: Int
    let title: String
    var rowAxis = "query"
    var columnAxis = "key"
    /// One per row / column; default `0, 1, 2, …`.
    var rowLabels: [String]
    var columnLabels: [String]
    /// The values mapped to the ends of the colour scale; default from 0 (or the minimum, when
    /// negative) to the maximum of the finite values.
    var range: ClosedRange<Double>

    /// The largest side drawn: 256 × 256 cells (65 536 rectangles, a few MB of text) is as much
    /// as a browser shows comfortably.
    static let maximumSide = 256

    /// - Throws: ``HeatmapError`` when the sizes disagree, a side is 0 or above ``maximumSide``.
    init(
        values: [Double], rows: Int, columns: Int, title: String, rowLabels: [String]? = nil,
        columnLabels: [String]? = nil
    ) throws {
        guard rows >= 1, columns >= 1 else {
            throw HeatmapError("cannot draw an empty \(rows) × \(columns) matrix")
        }
        guard rows <= Self.maximumSide, columns <= Self.maximumSide else {
            throw HeatmapError(
                "a \(rows) × \(columns) matrix is larger than the \(Self.maximumSide) × \(Self.maximumSide) cells a heatmap draws; "
                    + "attend a shorter sequence (or slice the weights) to look at it")
        }
        guard values.count == rows * columns else {
            throw HeatmapError("\(values.count) values do not fill a \(rows) × \(columns) matrix")
        }
        if let rowLabels, rowLabels.count != rows {
            throw HeatmapError("\(rowLabels.count) row labels for \(rows) rows")
        }
        if let columnLabels, columnLabels.count != columns {
            throw HeatmapError("\(columnLabels.count) column labels for \(columns) columns")
        }
        self.values = values
        self.rows = rows
        self.columns = columns
        self.title = title
        self.rowLabels = rowLabels ?? (0..<rows).map(String.init)
        self.columnLabels = columnLabels ?? (0..<columns).map(String.init)
        let finite = values.filter(\.isFinite)
        let low = Swift.min(0, finite.min() ?? 0)
        let high = Swift.max(finite.max() ?? 1, low)
        range = low...(high > low ? high : low + 1)
    }

    // MARK: - Layout (pixels)

    /// Cells are square; small matrices get big cells (with their values written in them).
    var cell: Double { Swift.min(48, Swift.max(3, (480 / Double(Swift.max(rows, columns))).rounded(.down))) }
    /// Values are printed inside the cells when they fit.
    var showsValues: Bool { cell >= 40 }
    /// Every `labelStep`-th row/column is labelled, so labels never overlap.
    func labelStep(_ count: Int) -> Int { Swift.max(1, Int((14 / cell).rounded(.up))) }
    private var longestRowLabel: Int { rowLabels.map(\.count).max() ?? 1 }
    private var longestColumnLabel: Int { columnLabels.map(\.count).max() ?? 1 }
    /// Column labels are turned 45° when they are wider than a cell.
    private var turnsColumnLabels: Bool { Double(longestColumnLabel) * 7 > cell - 2 }
    private var left: Double { 34 + Double(longestRowLabel) * 7 }
    private var top: Double { 44 }
    private var plotWidth: Double { Double(columns) * cell }
    private var plotHeight: Double { Double(rows) * cell }
    private var columnLabelDepth: Double { turnsColumnLabels ? Double(longestColumnLabel) * 5 + 12 : 16 }
    private var barX: Double { left + plotWidth + 24 }
    var width: Double { barX + 16 + 64 }
    var height: Double { top + plotHeight + columnLabelDepth + 34 }

    // MARK: - Drawing

    /// The picture as a standalone SVG document.
    func svg() -> String {
        var out: [String] = []
        out.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.append(
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(n(width))" height="\#(n(height))" viewBox="0 0 \#(n(width)) \#(n(height))" "#
                + #"font-family="Helvetica, Arial, sans-serif" font-size="12">"#)
        out.append("<title>\(escaped(title))</title>")
        out.append(#"<rect x="0" y="0" width="\#(n(width))" height="\#(n(height))" fill="white"/>"#)
        out.append(
            #"<text class="title" x="\#(n(left))" y="24" font-size="15" font-weight="bold">\#(escaped(title))</text>"#)

        // Cells, with the value as a tooltip (and written in when there is room).
        out.append(#"<g class="cells" stroke="white" stroke-width="\#(cell >= 12 ? 1 : 0)">"#)
        for i in 0..<rows {
            for j in 0..<columns {
                let value = values[i * columns + j]
                let (x, y) = (left + Double(j) * cell, top + Double(i) * cell)
                out.append(
                    #"<rect class="cell" x="\#(n(x))" y="\#(n(y))" width="\#(n(cell))" height="\#(n(cell))" fill="\#(colour(value))">"#
                        + "<title>\(escaped(rowAxis)) \(escaped(rowLabels[i])), \(escaped(columnAxis)) \(escaped(columnLabels[j])): \(format(value))</title></rect>"
                )
            }
        }
        out.append("</g>")
        if showsValues {
            out.append(#"<g class="values" text-anchor="middle" font-size="11">"#)
            for i in 0..<rows {
                for j in 0..<columns {
                    let value = values[i * columns + j]
                    let (x, y) = (left + (Double(j) + 0.5) * cell, top + (Double(i) + 0.5) * cell + 4)
                    out.append(
                        #"<text class="value" x="\#(n(x))" y="\#(n(y))" fill="\#(textColour(value))">\#(cellText(value))</text>"#
                    )
                }
            }
            out.append("</g>")
        }

        // Row labels (right-aligned, left of the cells) and column labels (under the cells).
        let rowStep = labelStep(rows)
        let columnStep = labelStep(columns)
        out.append(#"<g class="row-labels" text-anchor="end">"#)
        for i in stride(from: 0, to: rows, by: rowStep) {
            let y = top + (Double(i) + 0.5) * cell + 4
            out.append(#"<text class="row-label" x="\#(n(left - 6))" y="\#(n(y))">\#(escaped(rowLabels[i]))</text>"#)
        }
        out.append("</g>")
        out.append(#"<g class="column-labels" text-anchor="\#(turnsColumnLabels ? "end" : "middle")">"#)
        for j in stride(from: 0, to: columns, by: columnStep) {
            let x = left + (Double(j) + 0.5) * cell
            let y = top + plotHeight + 14
            let turn = turnsColumnLabels ? #" transform="rotate(-45 \#(n(x + 4)) \#(n(y - 4)))""# : ""
            out.append(
                #"<text class="column-label" x="\#(n(x + (turnsColumnLabels ? 4 : 0)))" y="\#(n(y))"\#(turn)>\#(escaped(columnLabels[j]))</text>"#
            )
        }
        out.append("</g>")

        // Axis titles.
        let columnTitleY = top + plotHeight + columnLabelDepth + 20
        out.append(
            #"<text class="axis-title" x="\#(n(left + plotWidth / 2))" y="\#(n(columnTitleY))" text-anchor="middle" font-size="13">\#(escaped(columnAxis)) →</text>"#
        )
        let rowTitleX = 14.0
        let rowTitleY = top + plotHeight / 2
        out.append(
            #"<text class="axis-title" x="\#(n(rowTitleX))" y="\#(n(rowTitleY))" text-anchor="middle" font-size="13" "#
                + #"transform="rotate(-90 \#(n(rowTitleX)) \#(n(rowTitleY)))">← \#(escaped(rowAxis))</text>"#)

        // Colour bar: the scale from the top (maximum) to the bottom (minimum), three ticks.
        out.append("<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">")
        for (index, stop) in Self.viridis.enumerated() {
            let offset = Double(index) / Double(Self.viridis.count - 1)
            out.append(#"<stop offset="\#(n(offset))" stop-color="\#(hex(stop))"/>"#)
        }
        out.append("</linearGradient></defs>")
        let barHeight = Swift.max(plotHeight, 60)
        out.append(#"<g class="colour-scale">"#)
        out.append(
            #"<rect class="colour-bar" x="\#(n(barX))" y="\#(n(top))" width="16" height="\#(n(barHeight))" fill="url(#scale)" stroke="rgb(85,85,85)" stroke-width="0.5"/>"#
        )
        for (fraction, value) in [
            (0.0, range.upperBound), (0.5, (range.lowerBound + range.upperBound) / 2), (1.0, range.lowerBound),
        ] {
            let y = top + fraction * barHeight
            out.append(
                #"<line x1="\#(n(barX + 16))" y1="\#(n(y))" x2="\#(n(barX + 20))" y2="\#(n(y))" stroke="rgb(85,85,85)"/>"#
            )
            out.append(#"<text class="scale-label" x="\#(n(barX + 23))" y="\#(n(y + 4))">\#(format(value))</text>"#)
        }
        out.append("</g>")
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Colour

    /// Viridis at nine evenly spaced points (dark purple → yellow), interpolated linearly in RGB.
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 45, 123), (59, 82, 139), (44, 114, 142), (33, 145, 140),
        (40, 174, 128), (94, 201, 98), (173, 220, 48), (253, 231, 37),
    ]

    /// Where `value` sits on the scale, in 0 … 1 (clamped).
    func position(_ value: Double) -> Double {
        Swift.min(1, Swift.max(0, (value - range.lowerBound) / (range.upperBound - range.lowerBound)))
    }

    /// The cell colour; grey for NaN and infinities, which have no place on the scale.
    func colour(_ value: Double) -> String {
        guard value.isFinite else { return "#bbbbbb" }
        let scaled = position(value) * Double(Self.viridis.count - 1)
        let index = Swift.min(Int(scaled), Self.viridis.count - 2)
        let t = scaled - Double(index)
        let (a, b) = (Self.viridis[index], Self.viridis[index + 1])
        return hex((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t))
    }

    /// Dark text on the light (yellow-green) end of the scale, white on the dark end.
    private func textColour(_ value: Double) -> String {
        value.isFinite && position(value) > 0.6 ? "#000000" : "#ffffff"
    }

    private func hex(_ rgb: (Double, Double, Double)) -> String {
        func byte(_ c: Double) -> String {
            let v = Swift.min(255, Swift.max(0, Int(c.rounded())))
            return String(v, radix: 16).count == 1 ? "0" + String(v, radix: 16) : String(v, radix: 16)
        }
        return "#" + byte(rgb.0) + byte(rgb.1) + byte(rgb.2)
    }

    // MARK: - Text

    private func n(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
    }

    /// `0.25`, `1e-07`, `nan`: short and exact enough for a tooltip or a tick.
    private func format(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)g", value)
    }

    /// The number written in a cell: two decimals while the scale stays within ±10 (attention
    /// weights, similarities), so that 1e-9 reads `0.00` rather than cluttering the picture.
    private func cellText(_ value: Double) -> String {
        guard value.isFinite else { return format(value) }
        let small = Swift.max(Swift.abs(range.lowerBound), Swift.abs(range.upperBound)) < 10
        return small ? String(format: "%.2f", value) : format(value, digits: 3)
    }

    /// Text made safe for XML content and attribute values.
    private func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default:
                // Control characters are not allowed in XML 1.0.
                if character.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\t" }) { result.append(character) }
            }
        }
        return result
    }
}

/// Why a heatmap cannot be drawn.
struct HeatmapError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

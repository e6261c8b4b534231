/// A parsed einsum equation such as `"bhld,bhmd->bhlm"`, before it meets any operand.
///
/// Grammar (NumPy / PyTorch notation):
///
///     equation := term ("," term)* ("->" term)?
///     term     := (letter | "...")*          -- at most one "..." per term
///     letter   := "a"..."z" | "A"..."Z"      -- spaces anywhere are ignored
///
/// Each item remembers its character position in the equation, so errors can point at it:
/// `einsum: unexpected character '#' at position 4 in "ij,j#->i"`.
struct EinsumEquation: Sendable {
    /// One subscript of a term: an index letter or the ellipsis, with its position.
    struct Item: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case letter(Character)
            case ellipsis
        }

        var kind: Kind
        /// Position of the item's first character in the equation (0-based, in characters).
        var position: Int
    }

    /// The equation as written.
    let text: String
    /// One term per operand, left to right.
    let inputs: [[Item]]
    /// The term after `->`, or nil when the output is implicit.
    let output: [Item]?

    /// Parses `equation`.
    /// - Throws: ``TensorError`` (op `"einsum"`) naming the offending character and its position:
    ///   an unknown character, a `.` that does not start `...`, a second `...` in one term, a `-`
    ///   that does not start `->`, a second `->`, or a `,` after `->`.
    init(parsing equation: String) throws {
        text = equation
        let characters = Array(equation)
        let quoted = "\"\(equation)\""
        var inputs: [[Item]] = []
        var term: [Item] = []
        var sawArrow = false
        var position = 0
        while position < characters.count {
            let character = characters[position]
            switch character {
            case " ":
                position += 1
            case _ where character.isASCII && character.isLetter:
                term.append(Item(kind: .letter(character), position: position))
                position += 1
            case ".":
                guard position + 2 < characters.count, characters[position + 1] == ".", characters[position + 2] == "."
                else {
                    throw TensorError(
                        op: "einsum", "'.' at position \(position) in \(quoted) does not start an ellipsis '...'")
                }
                guard !term.contains(where: { $0.kind == .ellipsis }) else {
                    throw TensorError(
                        op: "einsum",
                        "second ellipsis '...' at position \(position) in \(quoted): a term holds at most one")
                }
                term.append(Item(kind: .ellipsis, position: position))
                position += 3
            case ",":
                guard !sawArrow else {
                    throw TensorError(
                        op: "einsum",
                        "unexpected character ',' at position \(position) in \(quoted): the output after '->' is a single term"
                    )
                }
                inputs.append(term)
                term = []
                position += 1
            case "-":
                guard position + 1 < characters.count, characters[position + 1] == ">" else {
                    throw TensorError(
                        op: "einsum",
                        "unexpected character '-' at position \(position) in \(quoted): '-' must begin the arrow '->'")
                }
                guard !sawArrow else {
                    throw TensorError(
                        op: "einsum",
                        "second '->' at position \(position) in \(quoted): an equation has one output term")
                }
                inputs.append(term)
                term = []
                sawArrow = true
                position += 2
            default:
                throw TensorError(
                    op: "einsum", "unexpected character '\(character)' at position \(position) in \(quoted)")
            }
        }
        if sawArrow {
            self.inputs = inputs
            self.output = term
        } else {
            self.inputs = inputs + [term]
            self.output = nil
        }
    }

    /// A term as written, for messages: `"...ij"`.
    static func text(of term: [Item]) -> String {
        term.map { item in
            switch item.kind {
            case .letter(let letter): String(letter)
            case .ellipsis: "..."
            }
        }.joined()
    }
}

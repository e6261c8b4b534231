import Attend
import AttendModels
import Foundation

/// What each fuzz harness does with one input: decode it with one of Attend's readers or parsers,
/// which must return or throw — never crash, hang or allocate without bound.
///
/// One home for the harness bodies: `scripts/fuzz.sh` links them into the libFuzzer binary
/// (`Fuzz/`, built with `-sanitize=fuzzer,address`), and `swift test` replays every committed
/// corpus and crash input under `Tests/Fixtures/fuzz/<target>/` through the same `run`.
///
/// Adding a harness (a GGUF reader, a tokenizer, …): add a case here, its body in `run`, and a
/// seed directory `Tests/Fixtures/fuzz/<rawValue>/`; `scripts/fuzz.sh` and the replay test pick
/// it up from `allCases`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `NPY.decode` on the bytes.
    case npy
    /// `NPZ.decode` on the bytes (a ZIP archive of `.npy` members).
    case npz
    /// `SafeTensors.decode` on the bytes.
    case safetensors
    /// The einsum equation parser, binder and planner: the bytes before the first NUL are the
    /// equation, the bytes after it give operand ranks and extents (0…3, see `einsumOperands`);
    /// the plan is made and, when small, executed on Float tensors.
    case einsum
    /// `GGUFFile(data:name:)` on the bytes, then every tensor of at most `ggufElementLimit`
    /// elements dequantized and every metadata value summarized (see `FuzzTarget+GGUF.swift`).
    case gguf
    /// A BERT WordPiece tokenizer read from an in-memory model folder made of the input
    /// (`BertTokenizer(files:)`): `vocab.txt`, a NUL, the text to tokenize, and optionally a NUL and
    /// `tokenizer.json` (see `FuzzTarget+Tokenizers.swift`).
    case wordpiece
    /// A byte-level BPE tokenizer from GGUF metadata (`BytePairEncoding(gguf:)`): a little-endian
    /// UInt16 text length, the text, then the GGUF bytes; the text is encoded and decoded.
    case bpe

    /// Runs the harness body on `data`. Errors the reader throws are the expected outcome for bad
    /// input and are returned, not rethrown, so callers can count them.
    @discardableResult
    public func run(_ data: Data) -> (any Error)? {
        do {
            switch self {
            case .npy: _ = try NPY.decode(data, name: "fuzz.npy")
            case .npz: _ = try NPZ.decode(data, name: "fuzz.npz")
            case .safetensors: _ = try SafeTensors.decode(data, name: "fuzz.safetensors")
            case .einsum: try Self.einsum(data)
            case .gguf: try Self.gguf(data)
            case .wordpiece: try Self.wordPiece(data)
            case .bpe: try Self.bytePairEncoding(data)
            }
            return nil
        } catch {
            return error
        }
    }

    /// Largest number of elements the einsum harness lets an operand have,
    /// so that the harness measures the parser, not the machine's memory.
    static let einsumElementLimit = 4096

    private static func einsum(_ data: Data) throws {
        let bytes = [UInt8](data)
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let equation = String(decoding: bytes[..<split], as: UTF8.self)
        let shapeBytes = split < bytes.count ? Array(bytes[(split + 1)...]) : []
        let shapes = einsumOperands(equation: equation, bytes: shapeBytes)
        guard shapes.allSatisfy({ $0.reduce(1, *) <= einsumElementLimit }) else { return }
        let operands = shapes.map { Tensor<Float>(shape: $0, repeating: 0.5) }
        _ = try einsumPlan(equation, operands)
        // Every extent is ≤ 3, so every intermediate and the output have ≤ 3^(distinct letters)
        // elements; execute only when that is small.
        let letters = Set(equation.unicodeScalars.filter { ("a"..."z").contains($0) || ("A"..."Z").contains($0) })
        guard letters.count <= 7 else { return }
        _ = try Attend.einsum(equation, operands)
    }

    /// Operand shapes for `equation`: one operand per term left of `->` (at most 4), rank = its
    /// letters plus (for a term with `...`) the next byte mod 3, each extent the next byte mod 4
    /// (2 when the bytes run out).
    public static func einsumOperands(equation: String, bytes: [UInt8]) -> [[Int]] {
        let lhs = equation.components(separatedBy: "->").first ?? ""
        var cursor = 0
        func next() -> Int {
            defer { cursor += 1 }
            return cursor < bytes.count ? Int(bytes[cursor]) : 2
        }
        return lhs.split(separator: ",", omittingEmptySubsequences: false).prefix(4).map { term in
            var rank = min(term.unicodeScalars.filter { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }.count, 6)
            if term.contains("...") { rank += next() % 3 }
            return (0..<rank).map { _ in next() % 4 }
        }
    }
}

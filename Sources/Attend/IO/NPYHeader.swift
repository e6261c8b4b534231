/// The header dictionary of a `.npy` file.
///
/// It is a Python literal dict with exactly the keys
/// - `'descr'`: the NumPy type string, byte order first (`'<'` little, `'>'` big, `'|'` not applicable),
///   then kind and width, e.g. `'<f4'`, `'|b1'`;
/// - `'fortran_order'`: `True` if the data is column-major;
/// - `'shape'`: a tuple of non-negative ints, `()` for a 0-d array, `(3,)` for rank 1.
///
/// NumPy writes e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, padded with
/// spaces and ended by `'\n'` so that the data starts at a multiple of 64 bytes.
struct NPYHeader: Equatable {
    var descr: String
    var dtype: DType
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]

    /// NumPy's tuple spelling of the shape: `()`, `(3,)`, `(2, 3)`.
    static func tupleText(_ shape: [Int]) -> String {
        switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }

    /// The header dict text (without padding or the final newline) NumPy would write.
    static func dictText(descr: String, shape: [Int]) -> String {
        "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tupleText(shape)), }"
    }

    private static let supportedDescrs = "'<f2', '<f4', '<f8', '<i4', '<i8', '|u1', '|b1' (or big-endian '>' forms)"

    /// Parses and checks the header text. `file` names the file in errors.
    static func parse(_ text: String, file: String) throws(FileFormatError) -> NPYHeader {
        let literal: PythonLiteral
        do {
            literal = try PythonLiteral.parse(text)
        } catch {
            throw .malformed(file, "header is not a valid Python dict literal: \(error.message)")
        }
        guard case .dict(let entries) = literal else {
            throw .malformed(file, "header is \(literal.rendered), not a dict")
        }
        var descrValue: PythonLiteral?
        var fortranValue: PythonLiteral?
        var shapeValue: PythonLiteral?
        for entry in entries {
            switch entry.key {
            case .string("descr"): descrValue = entry.value
            case .string("fortran_order"): fortranValue = entry.value
            case .string("shape"): shapeValue = entry.value
            default: throw .malformed(file, "header has unexpected key \(entry.key.rendered)")
            }
        }
        guard let descrValue else { throw .malformed(file, "header has no 'descr' key") }
        guard let fortranValue else { throw .malformed(file, "header has no 'fortran_order' key") }
        guard let shapeValue else { throw .malformed(file, "header has no 'shape' key") }

        guard case .string(let descr) = descrValue else {
            if case .list = descrValue {
                throw .unsupported(file, "structured dtype \(descrValue.rendered) is not supported")
            }
            throw .malformed(file, "header 'descr' is \(descrValue.rendered), not a type string")
        }
        guard let (dtype, bigEndian) = DType.fromNPYDescr(descr) else {
            if descr.hasSuffix("O") {
                throw .unsupported(file, "dtype '\(descr)' (pickled Python objects) is not supported")
            }
            throw .unsupported(file, "dtype '\(descr)' is not supported (supported: \(supportedDescrs))")
        }
        guard case .bool(let fortranOrder) = fortranValue else {
            throw .malformed(file, "header 'fortran_order' is \(fortranValue.rendered), not True or False")
        }
        guard case .tuple(let items) = shapeValue else {
            throw .malformed(file, "header 'shape' is \(shapeValue.rendered), not a tuple of integers")
        }
        var shape: [Int] = []
        for item in items {
            guard case .int(let extent) = item else {
                throw .malformed(
                    file, "header 'shape' \(shapeValue.rendered) contains \(item.rendered), which is not an integer")
            }
            guard extent >= 0 else {
                throw .malformed(file, "header 'shape' \(shapeValue.rendered) has a negative extent \(extent)")
            }
            shape.append(extent)
        }
        return NPYHeader(descr: descr, dtype: dtype, bigEndian: bigEndian, fortranOrder: fortranOrder, shape: shape)
    }
}

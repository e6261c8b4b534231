/// Element conversion of `ArrayData` to Swift scalar arrays.
///
/// Rules:
/// - Widening is always exact: float16 and bfloat16 to `Float` or `Double`, float32 to `Double`,
///   uint8 and bool (0/1) to either.
/// - float64 to `Float` rounds to nearest, as users expect from a narrowing cast. A finite value
///   beyond `Float`'s range (which would become infinity) is refused instead.
/// - Integers convert only if the value is exactly representable (e.g. int64 16777217 cannot be a
///   `Float`, 2⁵³+1 cannot be a `Double`); the first element that is not is reported.
/// - `bools`: bool and integer types map nonzero to `true`; floating types must hold exactly 0 or 1.
extension ArrayData {
    /// Every element as `Float`, in C order.
    /// - Parameter name: the file or array name used in error messages.
    /// - Throws: `FileFormatError` with kind `.lossyConversion` naming the first element that does not
    ///   convert exactly (float64 → Float rounding is allowed; overflow to infinity is not).
    public func floats(name: String) throws -> [Float] {
        switch dtype {
        case .float32:
            return LittleEndianBytes.values(UInt32.self, from: bytes).map(Float.init(bitPattern:))
        case .float16:
            return LittleEndianBytes.values(UInt16.self, from: bytes).map(HalfFloatBits.float(fromFloat16Bits:))
        case .bfloat16:
            return LittleEndianBytes.values(UInt16.self, from: bytes).map(HalfFloatBits.float(fromBFloat16Bits:))
        case .float64:
            let doubles = LittleEndianBytes.values(UInt64.self, from: bytes).map(Double.init(bitPattern:))
            return try doubles.enumerated().map { index, value in
                let narrowed = Float(value)
                if narrowed.isInfinite && value.isFinite {
                    throw lossy(
                        name: name, index: index, value: "\(value)", target: "Float",
                        reason: "it is outside Float's range")
                }
                return narrowed
            }
        case .int32:
            return try exactly(
                LittleEndianBytes.values(Int32.self, from: bytes), name: name, target: "Float", Float.init(exactly:))
        case .int64:
            return try exactly(
                LittleEndianBytes.values(Int64.self, from: bytes), name: name, target: "Float", Float.init(exactly:))
        case .uint8, .bool:
            return bytes.map { Float($0) }
        }
    }

    /// Every element as `Double`, in C order.
    /// - Parameter name: the file or array name used in error messages.
    /// - Throws: `FileFormatError` with kind `.lossyConversion` naming the first int64 element that a
    ///   `Double` cannot hold exactly (all other types widen exactly).
    public func doubles(name: String) throws -> [Double] {
        switch dtype {
        case .float64:
            return LittleEndianBytes.values(UInt64.self, from: bytes).map(Double.init(bitPattern:))
        case .float32, .float16, .bfloat16:
            return try floats(name: name).map(Double.init)
        case .int32:
            return LittleEndianBytes.values(Int32.self, from: bytes).map(Double.init)
        case .int64:
            return try exactly(
                LittleEndianBytes.values(Int64.self, from: bytes), name: name, target: "Double", Double.init(exactly:))
        case .uint8, .bool:
            return bytes.map { Double($0) }
        }
    }

    /// Every element as `Bool`, in C order: bool and integer elements are `true` when nonzero;
    /// floating-point elements must be exactly 0 or 1.
    /// - Throws: `FileFormatError` with kind `.lossyConversion` naming the first floating-point
    ///   element that is not 0 or 1.
    public func bools(name: String) throws -> [Bool] {
        switch dtype {
        case .bool, .uint8:
            return bytes.map { $0 != 0 }
        case .int32:
            return LittleEndianBytes.values(Int32.self, from: bytes).map { $0 != 0 }
        case .int64:
            return LittleEndianBytes.values(Int64.self, from: bytes).map { $0 != 0 }
        case .float16, .bfloat16, .float32, .float64:
            return try doubles(name: name).enumerated().map { index, value in
                if value == 0 { return false }
                if value == 1 { return true }
                throw lossy(
                    name: name, index: index, value: "\(value)", target: "Bool",
                    reason: "only 0 and 1 convert to Bool")
            }
        }
    }

    // MARK: Helpers

    private func exactly<Source: BinaryInteger, Target>(
        _ values: [Source], name: String, target: String, _ convert: (Source) -> Target?
    ) throws -> [Target] {
        var result: [Target] = []
        result.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard let converted = convert(value) else {
                throw lossy(
                    name: name, index: index, value: "\(value)", target: target,
                    reason: "it is not exactly representable")
            }
            result.append(converted)
        }
        return result
    }

    /// `float64 element [1, 2] (flat index 5, value 0.5)`, or `float64 scalar (value 0.5)` for a 0-d array.
    private func elementDescription(flatIndex: Int, value: String) -> String {
        guard !shape.isEmpty else { return "\(dtype.rawValue) scalar (value \(value))" }
        var index: [Int] = Array(repeating: 0, count: shape.count)
        var rest = flatIndex
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return "\(dtype.rawValue) element \(describe(index)) (flat index \(flatIndex), value \(value))"
    }

    private func lossy(name: String, index: Int, value: String, target: String, reason: String) -> FileFormatError {
        FileFormatError(
            file: name,
            problem: "cannot convert \(elementDescription(flatIndex: index, value: value)) to \(target): \(reason)",
            kind: .lossyConversion)
    }
}

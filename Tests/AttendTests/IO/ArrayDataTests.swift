import Foundation
import Testing

@testable import Attend

@Suite("ArrayData")
struct ArrayDataTests {
    @Test("init(shape:dtype:bytes:) accepts a matching byte count and refuses any other")
    func byteCountValidation() throws {
        let ok = try ArrayData(shape: [2, 3], dtype: .float32, bytes: [UInt8](repeating: 0, count: 24))
        #expect(ok.elementCount == 6)
        expectFormatError(
            file: "ArrayData", "shape [2, 3] of float32 needs 24 bytes but 20 were given", kind: .invalidArgument
        ) {
            _ = try ArrayData(shape: [2, 3], dtype: .float32, bytes: [UInt8](repeating: 0, count: 20))
        }
        expectFormatError(file: "ArrayData", "negative extent -2", kind: .invalidArgument) {
            _ = try ArrayData(shape: [-2, 3], dtype: .float32, bytes: [])
        }
        expectFormatError(file: "ArrayData", "too large", kind: .invalidArgument) {
            _ = try ArrayData(shape: [Int.max, 2], dtype: .uint8, bytes: [])
        }
    }

    @Test("a 0-d array has one element and an array with a zero extent has none")
    func elementCounts() throws {
        #expect(try ArrayData(shape: [], dtype: .int64, bytes: [UInt8](repeating: 0, count: 8)).elementCount == 1)
        #expect(try ArrayData(shape: [3, 0, 2], dtype: .float64, bytes: []).elementCount == 0)
    }

    @Test("the typed initialisers store little-endian bytes")
    func typedInitialisers() {
        #expect(ArrayData(shape: [1], float32: [1]).bytes == [0x00, 0x00, 0x80, 0x3F])
        #expect(ArrayData(shape: [], float64: [-2]).bytes == [0, 0, 0, 0, 0, 0, 0x00, 0xC0])
        #expect(ArrayData(shape: [3], bool: [true, false, true]).bytes == [1, 0, 1])
        #expect(ArrayData(shape: [2], float32: [1.5, -3]).dtype == .float32)
    }

    @Test("float16 and bfloat16 widen exactly, including subnormals, infinities and NaN")
    func halfWidening() throws {
        let half = IOSample.uint16(.float16, [8], [0x0000, 0x8000, 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x7E00])
        let floats = try half.floats(name: "h")
        #expect(Array(floats[0..<7]) == [0, -0.0, 1, -2, 65504, 0x1p-24, .infinity])
        #expect(floats[1].sign == .minus)
        #expect(floats[7].isNaN)
        #expect(try half.doubles(name: "h")[5] == 0x1p-24)

        let brain = IOSample.uint16(.bfloat16, [3], [0x3F80, 0xC000, 0x7F80])
        #expect(try brain.floats(name: "b") == [1, -2, .infinity])
        #expect(try brain.doubles(name: "b") == [1, -2, .infinity])
    }

    @Test("integers convert only when exact, naming the array, dtype and first bad element")
    func integerExactness() throws {
        let ints = IOSample.int64([2, 2], [1, -16_777_216, 16_777_217, 16_777_219])
        let error = expectFormatError(
            file: "weights.npy", "int64 element [1, 0] (flat index 2, value 16777217) to Float",
            kind: .lossyConversion
        ) {
            _ = try ints.floats(name: "weights.npy")
        }
        #expect(error?.description.hasPrefix("weights.npy: cannot convert int64") == true)
        #expect(try ints.doubles(name: "w") == [1, -16_777_216, 16_777_217, 16_777_219])

        let big = IOSample.int64([2], [1 << 53, (1 << 53) + 1])
        expectFormatError(
            file: "big", "int64 element [1] (flat index 1, value 9007199254740993) to Double", kind: .lossyConversion
        ) {
            _ = try big.doubles(name: "big")
        }
        #expect(
            try IOSample.int32([3], [Int32.min, 0, Int32.max]).doubles(name: "i") == [-2_147_483_648, 0, 2_147_483_647])
        #expect(try IOSample.int32([2], [16_777_216, -7]).floats(name: "i") == [16_777_216, -7])
        #expect(try ArrayData(shape: [2], dtype: .uint8, bytes: [0, 255]).floats(name: "u") == [0, 255])
    }

    @Test("float64 narrows to Float by rounding, but a finite value beyond Float's range is refused")
    func doubleNarrowing() throws {
        let doubles = ArrayData(shape: [3], float64: [0.1, -1e-50, .infinity])
        #expect(try doubles.floats(name: "d") == [Float(0.1), -0.0, .infinity])
        expectFormatError(
            file: "d", "float64 element [0] (flat index 0, value 1e+300) to Float", "outside Float's range",
            kind: .lossyConversion
        ) {
            _ = try ArrayData(shape: [1], float64: [1e300]).floats(name: "d")
        }
        #expect(try ArrayData(shape: [], float32: [0.25]).doubles(name: "f") == [0.25])
    }

    @Test("bools: nonzero is true for bool and integer types, floats must be exactly 0 or 1")
    func boolConversion() throws {
        #expect(try ArrayData(shape: [3], dtype: .uint8, bytes: [0, 2, 255]).bools(name: "u") == [false, true, true])
        #expect(try IOSample.int64([2], [0, -5]).bools(name: "i") == [false, true])
        #expect(try ArrayData(shape: [3], float32: [0, 1, -0.0]).bools(name: "f") == [false, true, false])
        #expect(try ArrayData(shape: [2], bool: [true, false]).floats(name: "b") == [1, 0])
        expectFormatError(
            file: "mask", "float32 element [1] (flat index 1, value 0.5) to Bool", "only 0 and 1",
            kind: .lossyConversion
        ) {
            _ = try ArrayData(shape: [2], float32: [1, 0.5]).bools(name: "mask")
        }
        expectFormatError(file: "mask", "cannot convert float64 scalar (value nan) to Bool", kind: .lossyConversion) {
            _ = try ArrayData(shape: [], float64: [.nan]).bools(name: "mask")
        }
    }

    @Test("FileFormatError describes itself as file: problem")
    func errorDescription() {
        let error = FileFormatError(file: "a.npy", problem: "bad magic")
        #expect(error.description == "a.npy: bad magic")
        #expect(error.kind == .malformed)
        #expect(error.localizedDescription == "a.npy: bad magic")
    }
}

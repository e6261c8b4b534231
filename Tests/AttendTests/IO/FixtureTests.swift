import Foundation
import Testing

@testable import Attend

/// Reads the files scripts/make_io_fixtures.py wrote with NumPy and compares them with values stated
/// here independently (the script's np.arange / literal contents).
@Suite("NumPy-written fixtures")
struct FixtureTests {
    private func npy(_ name: String) throws -> ArrayData { try NPY.read(contentsOf: IOFixtures.url(name)) }
    private func ints(_ array: ArrayData) -> [Int64] {
        switch array.dtype {
        case .int64: LittleEndianBytes.values(Int64.self, from: array.bytes)
        case .int32: LittleEndianBytes.values(Int32.self, from: array.bytes).map(Int64.init)
        default: array.bytes.map(Int64.init)
        }
    }

    @Test("np.save float32, float64 and float16 files read with their exact values")
    func floatFiles() throws {
        let f32 = try npy("f32_2x3.npy")
        #expect(f32.dtype == .float32 && f32.shape == [2, 3])
        #expect(try f32.floats(name: "f32") == [0, 0.25, 0.5, 0.75, 1, 1.25])

        let f64 = try npy("f64_4.npy")
        #expect(f64.dtype == .float64 && f64.shape == [4])
        let doubles = try f64.doubles(name: "f64")
        #expect(doubles == [0.1, -2.5, 1e300, 0])
        #expect(doubles[3].sign == .minus)

        let f16 = try npy("f16_8.npy")
        #expect(f16.dtype == .float16 && f16.shape == [8])
        #expect(try f16.floats(name: "f16") == [0, 1, -2, 65504, 0x1p-14, 0x1p-24, .infinity, -.infinity])
    }

    @Test("np.save int32, int64, uint8 and bool files read with their exact values")
    func integerFiles() throws {
        let i32 = try npy("i32_2x2.npy")
        #expect(i32.dtype == .int32 && i32.shape == [2, 2])
        #expect(ints(i32) == [-2_147_483_648, -1, 0, 2_147_483_647])

        let i64 = try npy("i64_3.npy")
        #expect(i64.dtype == .int64 && i64.shape == [3])
        #expect(ints(i64) == [-(1 << 40), 16_777_217, 1 << 62])

        let u8 = try npy("u8_5.npy")
        #expect(u8.dtype == .uint8 && u8.bytes == [0, 1, 127, 128, 255])

        let mask = try npy("bool_2x2.npy")
        #expect(mask.dtype == .bool && mask.shape == [2, 2])
        #expect(try mask.bools(name: "mask") == [true, false, false, true])
    }

    @Test("0-d, empty and rank-4 files read with the right shapes")
    func shapes() throws {
        let scalar = try npy("scalar_f64.npy")
        #expect(scalar.shape == [] && scalar.elementCount == 1)
        #expect(try scalar.doubles(name: "s") == [3.5])

        let empty = try npy("empty_f32_0x3.npy")
        #expect(empty.shape == [0, 3] && empty.dtype == .float32 && empty.bytes.isEmpty)

        let rank4 = try npy("i32_1x2x3x4.npy")
        #expect(rank4.shape == [1, 2, 3, 4])
        #expect(ints(rank4) == Array(0..<24))
    }

    @Test("Fortran-order files are transposed into C order")
    func fortranOrder() throws {
        let f32 = try npy("fortran_f32_3x4.npy")
        #expect(f32.shape == [3, 4])
        #expect(try f32.floats(name: "f") == (0..<12).map(Float.init))

        let i64 = try npy("fortran_i64_2x3x4.npy")
        #expect(i64.shape == [2, 3, 4] && i64.dtype == .int64)
        #expect(ints(i64) == Array(0..<24))
    }

    @Test("big-endian files are byte-swapped")
    func bigEndian() throws {
        let f32 = try npy("bigendian_f32_4.npy")
        #expect(f32.dtype == .float32)
        #expect(try f32.floats(name: "b") == [0.5, 1.5, 2.5, 3.5])
        #expect(ints(try npy("bigendian_i64_3.npy")) == [1, -2, 1 << 40])
    }

    @Test("format version 2.0 and 3.0 files read")
    func versions() throws {
        let v2Data = try Data(contentsOf: IOFixtures.url("v2_f64_2x2.npy"))
        #expect(v2Data[6] == 2)
        let v2 = try npy("v2_f64_2x2.npy")
        #expect(v2.shape == [2, 2])
        #expect(try v2.doubles(name: "v2") == [0, 1, 2, 3])

        let v3Data = try Data(contentsOf: IOFixtures.url("v3_i32_3.npy"))
        #expect(v3Data[6] == 3)
        #expect(ints(try npy("v3_i32_3.npy")) == [7, 8, 9])
    }

    @Test("np.savez (stored) archives read, with names lacking .npy")
    func storedNPZ() throws {
        let arrays = try NPZ.read(contentsOf: IOFixtures.url("stored.npz"))
        #expect(Set(arrays.keys) == ["weights", "mask", "step"])
        let weights = try #require(arrays["weights"])
        #expect(weights.shape == [2, 3])
        #expect(try weights.floats(name: "w") == [0, 1, 2, 3, 4, 5])
        #expect(try arrays["mask"]?.bools(name: "m") == [true, false, true])
        let step = try #require(arrays["step"])
        #expect(step.shape == [] && ints(step) == [7])
    }

    @Test("np.savez_compressed (deflated) archives read")
    func deflatedNPZ() throws {
        let arrays = try NPZ.read(contentsOf: IOFixtures.url("deflated.npz"))
        #expect(Set(arrays.keys) == ["zeros", "ramp"])
        let zeros = try #require(arrays["zeros"])
        #expect(zeros.shape == [4, 8] && zeros.dtype == .float64)
        #expect(try zeros.doubles(name: "z") == Array(repeating: 0, count: 32))
        #expect(ints(try #require(arrays["ramp"])) == Array(0..<10))
    }

    @Test("a safetensors file written by hand in Python reads with every dtype and its metadata")
    func safetensors() throws {
        let data = try Data(contentsOf: IOFixtures.url("mixed.safetensors"))
        let (arrays, metadata) = try SafeTensors.decodeWithMetadata(data, name: "mixed.safetensors")
        #expect(metadata == ["format": "pt"])
        #expect(Set(arrays.keys) == ["a_f32", "b_i64", "c_bool", "d_f16", "e_bf16", "f_empty"])
        let a = try #require(arrays["a_f32"])
        #expect(a.shape == [2, 2] && a.dtype == .float32)
        #expect(try a.floats(name: "a") == [1, -2, 0.5, 3.25])
        #expect(ints(try #require(arrays["b_i64"])) == [-1, 0, 1 << 40])
        #expect(try arrays["c_bool"]?.bools(name: "c") == [true, false])
        #expect(try arrays["d_f16"]?.floats(name: "d") == [1.5, -0.25])
        let bf16 = try #require(arrays["e_bf16"])
        #expect(bf16.dtype == .bfloat16)
        #expect(try bf16.floats(name: "e") == [1, -2])
        #expect(arrays["f_empty"]?.shape == [0, 4])
        #expect(try SafeTensors.read(contentsOf: IOFixtures.url("mixed.safetensors")) == arrays)
    }
}

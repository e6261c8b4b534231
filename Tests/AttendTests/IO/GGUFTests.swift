import Foundation
import Testing

@testable import Attend

/// Hand-assembled GGUF files.
enum GGUFCraft {
    struct TensorSpec {
        var name: String
        var type: UInt32
        var dimensions: [UInt64]
        var offset: UInt64
    }

    static func string(_ s: String, into bytes: inout [UInt8]) {
        LittleEndianBytes.append(UInt64(s.utf8.count), to: &bytes)
        bytes += Array(s.utf8)
    }

    /// magic, version, counts, the given raw key/value bytes, tensor descriptions, padding to 32, data.
    static func file(
        version: UInt32 = 3, kvCount: UInt64? = nil, kv: [UInt8] = [], kvEntries: UInt64 = 0,
        tensors: [TensorSpec] = [], tensorCount: UInt64? = nil, data: [UInt8] = []
    ) -> Data {
        var bytes = Array("GGUF".utf8)
        LittleEndianBytes.append(version, to: &bytes)
        LittleEndianBytes.append(tensorCount ?? UInt64(tensors.count), to: &bytes)
        LittleEndianBytes.append(kvCount ?? kvEntries, to: &bytes)
        bytes += kv
        for t in tensors {
            string(t.name, into: &bytes)
            LittleEndianBytes.append(UInt32(t.dimensions.count), to: &bytes)
            for d in t.dimensions { LittleEndianBytes.append(d, to: &bytes) }
            LittleEndianBytes.append(t.type, to: &bytes)
            LittleEndianBytes.append(t.offset, to: &bytes)
        }
        bytes += [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
        return Data(bytes + data)
    }

    /// One key/value pair of type UINT32.
    static func uint32(_ key: String, _ value: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        string(key, into: &bytes)
        LittleEndianBytes.append(UInt32(4), to: &bytes)
        LittleEndianBytes.append(value, to: &bytes)
        return bytes
    }

    static func half(_ x: Float) -> [UInt8] {
        var bits = Float16(x).bitPattern.littleEndian
        return withUnsafeBytes(of: &bits) { Array($0) }
    }
}

@Suite("GGUF dequantization of hand-made blocks")
struct GGUFDequantizationTests {
    private func decode(_ type: GGUFTensorType, _ bytes: [UInt8], count: Int, path: KernelPath = .portable) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer {
                GGUFDequantization.dequantize(
                    type, from: raw.baseAddress!, count: count, into: $0.baseAddress!, on: path)
            }
        }
        return out
    }

    @Test(
        "Q4_1: value = d·q + m, low nibbles are elements 0–15 and high nibbles 16–31 (every kernel path)",
        arguments: KernelPath.supported)
    func q4_1(path: KernelPath) {
        // d = 0.5, m = −1; byte j = (j+1)·16 + j: low nibble j → element j, high nibble j+1 → element j+16.
        let block = GGUFCraft.half(0.5) + GGUFCraft.half(-1) + (0..<16).map { UInt8(($0 + 1) % 16 * 16 + $0) }
        let x = decode(.q4_1, block, count: 32, path: path)
        for j in 0..<16 {
            #expect(x[j] == 0.5 * Float(j) - 1, "element \(j)")
            #expect(x[j + 16] == 0.5 * Float((j + 1) % 16) - 1, "element \(j + 16)")
        }
        #expect(x[0] == -1 && x[1] == -0.5 && x[16] == -0.5 && x[31] == -1)  // byte 15 = 0x0F: high nibble 0
    }

    @Test("Q4_0: value = d·(q − 8), same nibble order (every kernel path)", arguments: KernelPath.supported)
    func q4_0(path: KernelPath) {
        let block = GGUFCraft.half(0.25) + (0..<16).map { UInt8(15 - $0) << 4 | UInt8($0) }
        let x = decode(.q4_0, block, count: 32, path: path)
        #expect(x[0] == -2 && x[8] == 0 && x[15] == 1.75)  // q = 0, 8, 15
        #expect(x[16] == 1.75 && x[31] == -2)  // q = 15, 0
    }

    @Test("Q8_0: value = d·q with q a signed byte, two blocks (every kernel path)", arguments: KernelPath.supported)
    func q8_0(path: KernelPath) {
        let first = GGUFCraft.half(0.5) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let second = GGUFCraft.half(-2) + [UInt8](repeating: 0x7F, count: 31) + [0x80]
        let x = decode(.q8_0, first + second, count: 64, path: path)
        #expect(x[0] == -8 && x[16] == 0 && x[31] == 7.5)
        #expect(x[32] == -254 && x[63] == 256)
    }

    @Test("F16 and F32 decode exactly, including subnormals and signs")
    func floats() {
        let f16 = GGUFCraft.half(1.5) + GGUFCraft.half(-0.000061035156) + [0x01, 0x00]  // 2⁻¹⁴ normal; 2⁻²⁴ subnormal
        #expect(decode(.f16, f16, count: 3) == [1.5, -0.000061035156, 0x1p-24])
        var f32: [UInt8] = []
        for v: Float in [3.25, -0.0, .infinity] { LittleEndianBytes.append(v.bitPattern, to: &f32) }
        let x = decode(.f32, f32, count: 3)
        #expect(x[0] == 3.25 && x[1].sign == .minus && x[2] == .infinity)
    }
}

@Suite("GGUF reader")
struct GGUFReaderTests {
    private func open(_ data: Data) throws -> GGUFFile { try GGUFFile(data: data, name: "m.gguf") }

    @Test("reads metadata of every kind and dequantizes a tensor in row-major shape")
    func wellFormed() throws {
        var kv = GGUFCraft.uint32("general.alignment", 32)
        GGUFCraft.string("name", into: &kv)
        LittleEndianBytes.append(UInt32(8), to: &kv)
        GGUFCraft.string("tiny", into: &kv)
        GGUFCraft.string("list", into: &kv)
        LittleEndianBytes.append(UInt32(9), to: &kv)
        LittleEndianBytes.append(UInt32(5), to: &kv)  // INT32
        LittleEndianBytes.append(UInt64(2), to: &kv)
        LittleEndianBytes.append(Int32(-3), to: &kv)
        LittleEndianBytes.append(Int32(7), to: &kv)
        // A Q8_0 [2, 32] tensor (ne = [32, 2]) at 0, then an F32 [3] at 96 (68 bytes padded to 96).
        let block = GGUFCraft.half(1) + (0..<32).map { UInt8($0) }
        var data = block + block.map { $0 } + [UInt8](repeating: 0, count: 28)
        for v: Float in [1, 2, 3] { LittleEndianBytes.append(v.bitPattern, to: &data) }
        let file = try open(
            GGUFCraft.file(
                kv: kv, kvEntries: 3,
                tensors: [
                    .init(name: "w", type: 8, dimensions: [32, 2], offset: 0),
                    .init(name: "b", type: 0, dimensions: [3], offset: 96),
                ], data: data))
        #expect(file.version == 3 && file.tensors.count == 2)
        #expect(file[metadata: "name"] == .string("tiny"))
        #expect(file[metadata: "list"] == .array([.int32(-3), .int32(7)]))
        let w = try file.tensor(named: "w")
        #expect(w.shape == [2, 32])
        #expect(w[1, 31] == 31 && w[0, 5] == 5)
        #expect(try file.tensor(named: "b").scalars == [1, 2, 3])
        expectFormatError(file: "m.gguf", "has no tensor named \"c\"", kind: .invalidArgument) {
            _ = try file.tensor(named: "c")
        }
    }

    @Test("bad magic, versions and truncation are refused")
    func header() {
        expectFormatError(file: "m.gguf", "file is empty") { _ = try open(Data()) }
        expectFormatError(file: "m.gguf", "does not start with the GGUF magic") { _ = try open(Data("GGML0000".utf8)) }
        expectFormatError(file: "m.gguf", "GGUF version 1", kind: .unsupported) {
            _ = try open(GGUFCraft.file(version: 1))
        }
        expectFormatError(file: "m.gguf", "truncated", "the tensor count") {
            _ = try open(Data("GGUF".utf8 + [3, 0, 0, 0, 1]))
        }
    }

    @Test("counts and string lengths larger than the file are refused before allocating")
    func counts() {
        expectFormatError(file: "m.gguf", "declares 18446744073709551615 tensors") {
            _ = try open(GGUFCraft.file(tensorCount: .max))
        }
        expectFormatError(file: "m.gguf", "declares 1000000 metadata entries") {
            _ = try open(GGUFCraft.file(kvCount: 1_000_000))
        }
        var kv: [UInt8] = []
        LittleEndianBytes.append(UInt64(1) << 40, to: &kv)  // key length 2⁴⁰
        kv += [UInt8](repeating: 0x61, count: 16)
        expectFormatError(file: "m.gguf", "the length of metadata key 0 is 1099511627776") {
            _ = try open(GGUFCraft.file(kv: kv, kvEntries: 1))
        }
        // A key length that also counts its own 8-byte field: 40 bytes claimed, 32 left after the
        // field (16 of key, 16 of padding). Read 8 bytes past the end before the fix (bpe fuzz).
        var own: [UInt8] = []
        LittleEndianBytes.append(UInt64(40), to: &own)
        own += [UInt8](repeating: 0x61, count: 16)
        expectFormatError(file: "m.gguf", "the length of metadata key 0 is 40", "32 bytes left") {
            _ = try open(GGUFCraft.file(kv: own, kvEntries: 1))
        }
        var array: [UInt8] = []
        GGUFCraft.string("a", into: &array)
        LittleEndianBytes.append(UInt32(9), to: &array)
        LittleEndianBytes.append(UInt32(8), to: &array)
        LittleEndianBytes.append(UInt64(1) << 50, to: &array)
        array += [UInt8](repeating: 0, count: 16)
        expectFormatError(file: "m.gguf", "the element count of metadata \"a\"") {
            _ = try open(GGUFCraft.file(kv: array, kvEntries: 1))
        }
    }

    @Test("unknown value types, invalid UTF-8, bad booleans and duplicate keys are refused")
    func values() {
        var kv: [UInt8] = []
        GGUFCraft.string("x", into: &kv)
        LittleEndianBytes.append(UInt32(13), to: &kv)
        kv += [0, 0, 0, 0, 0, 0, 0, 0]
        expectFormatError(file: "m.gguf", "metadata \"x\" has unknown value type 13") {
            _ = try open(GGUFCraft.file(kv: kv, kvEntries: 1))
        }
        var bad: [UInt8] = []
        LittleEndianBytes.append(UInt64(2), to: &bad)
        bad += [0xC3, 0x28] + [UInt8](repeating: 0, count: 16)
        expectFormatError(file: "m.gguf", "metadata key 0 at offset 32 is not valid UTF-8") {
            _ = try open(GGUFCraft.file(kv: bad, kvEntries: 1))
        }
        var flag: [UInt8] = []
        GGUFCraft.string("f", into: &flag)
        LittleEndianBytes.append(UInt32(7), to: &flag)
        flag += [2] + [UInt8](repeating: 0, count: 16)
        expectFormatError(file: "m.gguf", "metadata \"f\" is a BOOL with byte value 2") {
            _ = try open(GGUFCraft.file(kv: flag, kvEntries: 1))
        }
        let twice = GGUFCraft.uint32("k", 1) + GGUFCraft.uint32("k", 2)
        expectFormatError(file: "m.gguf", "metadata key \"k\" appears twice") {
            _ = try open(GGUFCraft.file(kv: twice, kvEntries: 2))
        }
        expectFormatError(file: "m.gguf", "general.alignment is 48", "power of two") {
            _ = try open(GGUFCraft.file(kv: GGUFCraft.uint32("general.alignment", 48), kvEntries: 1))
        }
    }

    @Test(
        "a ggml type Attend does not compute with is listed and refused by name; an unknown type id is an error naming the tensor"
    )
    func tensorTypes() throws {
        let file = try open(
            GGUFCraft.file(
                tensors: [.init(name: "blk.0.w", type: 10, dimensions: [256, 2], offset: 0)],
                data: [UInt8](repeating: 0, count: 168)))
        #expect(file.tensors.isEmpty)
        #expect(
            file.otherTensors
                == [
                    .init(
                        name: "blk.0.w", typeID: 10, typeName: "Q2_K", dimensions: [256, 2], offset: 0, byteCount: 168)
                ])
        expectFormatError(
            file: "m.gguf",
            "tensor \"blk.0.w\" has ggml type Q2_K (10), which Attend does not compute with; supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16",
            kind: .unsupported
        ) {
            _ = try file.tensor(named: "blk.0.w")
        }
        // Its bytes are still checked against the data buffer.
        expectFormatError(
            file: "m.gguf", "tensor \"blk.0.w\" (Q2_K [256, 2], 168 bytes at data offset 0) runs past the end"
        ) {
            _ = try open(
                GGUFCraft.file(
                    tensors: [.init(name: "blk.0.w", type: 10, dimensions: [256, 2], offset: 0)],
                    data: [UInt8](repeating: 0, count: 100)))
        }
        expectFormatError(file: "m.gguf", "tensor \"w\" has unknown ggml type 99", kind: .unsupported) {
            _ = try open(
                GGUFCraft.file(tensors: [.init(name: "w", type: 99, dimensions: [4], offset: 0)], data: [0, 0, 0, 0]))
        }
    }

    @Test("tensor extents: rank, block multiples, overflow, alignment, end of file and overlaps are checked")
    func extents() {
        let zeros = [UInt8](repeating: 0, count: 128)
        expectFormatError(file: "m.gguf", "tensor \"w\" has 5 dimensions; GGUF allows at most 4") {
            _ = try open(
                GGUFCraft.file(
                    tensors: [.init(name: "w", type: 0, dimensions: [1, 1, 1, 1, 1], offset: 0)], data: zeros))
        }
        expectFormatError(
            file: "m.gguf", "tensor \"w\" is Q4_1 with rows of 20 elements, not a multiple of its 32-element blocks"
        ) {
            _ = try open(
                GGUFCraft.file(tensors: [.init(name: "w", type: 3, dimensions: [20, 2], offset: 0)], data: zeros))
        }
        expectFormatError(
            file: "m.gguf", "tensor \"w\" has dimensions [4294967296, 4294967296], whose element count overflows"
        ) {
            _ = try open(
                GGUFCraft.file(
                    tensors: [.init(name: "w", type: 0, dimensions: [1 << 32, 1 << 32], offset: 0)], data: zeros))
        }
        // No element, but contiguous strides of 2⁸⁰ (the gguf fuzz harness trapped on one).
        expectFormatError(
            file: "m.gguf",
            "tensor \"w\" has dimensions [0, 1099511627776, 1099511627776], whose element count overflows"
        ) {
            _ = try open(
                GGUFCraft.file(
                    tensors: [.init(name: "w", type: 0, dimensions: [0, 1 << 40, 1 << 40], offset: 0)], data: zeros))
        }
        expectFormatError(file: "m.gguf", "tensor \"w\" has data offset 4, not a multiple of the alignment 32") {
            _ = try open(GGUFCraft.file(tensors: [.init(name: "w", type: 0, dimensions: [4], offset: 4)], data: zeros))
        }
        expectFormatError(
            file: "m.gguf",
            "tensor \"w\" (Q8_0 [32, 4], 136 bytes at data offset 0) runs past the end of the 128-byte data buffer"
        ) {
            _ = try open(
                GGUFCraft.file(tensors: [.init(name: "w", type: 8, dimensions: [32, 4], offset: 0)], data: zeros))
        }
        expectFormatError(file: "m.gguf", "tensor \"b\" (bytes [32, 96)) overlaps tensor \"a\" (bytes [0, 64))") {
            _ = try open(
                GGUFCraft.file(
                    tensors: [
                        .init(name: "a", type: 0, dimensions: [16], offset: 0),
                        .init(name: "b", type: 0, dimensions: [16], offset: 32),
                    ], data: zeros))
        }
        // A file that stops inside the padding before its data buffer: even a 0-byte tensor
        // would be a slice past the end (a debug trap, found by review of the fuzzer's cases).
        var unpadded = GGUFCraft.file(tensors: [.init(name: "w", type: 0, dimensions: [0], offset: 0)])
        unpadded.removeLast(unpadded.count - 57)
        expectFormatError(
            file: "m.gguf", "declares 1 tensors but ends at byte 57, before its data buffer starts at 64"
        ) {
            _ = try open(unpadded)
        }
        expectFormatError(file: "m.gguf", "tensor \"a\" appears twice") {
            _ = try open(
                GGUFCraft.file(
                    tensors: [
                        .init(name: "a", type: 0, dimensions: [1], offset: 0),
                        .init(name: "a", type: 0, dimensions: [1], offset: 32),
                    ], data: zeros))
        }
    }
}

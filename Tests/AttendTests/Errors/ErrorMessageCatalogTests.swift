import Foundation
import Testing

@testable import Attend

/// Every user-facing error message, in one list, so that none regresses: each must start with the
/// op (or file), name the operands (their shapes, the character, the member) and state the rule.
/// The expected fragments are written from the rule each op enforces, not copied from output.
@Suite("Error message catalogue")
struct ErrorMessageCatalogTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let prefix: String  // "op: " or "file: "
        let fragments: [String]  // operands and the rule
        let body: @Sendable () throws -> Void
        var testDescription: String { name }
    }

    static let f = Tensor<Float>.self

    static let cases: [Case] = [
        // MARK: matmul, linear, einsum
        Case(
            name: "matmul inner dimensions", prefix: "matmul: ",
            fragments: ["[320, 2048]", "[256, 256]", "inner dimensions 2048 and 256 differ"]
        ) {
            _ = try matmul(f.init(shape: [320, 2048]), f.init(shape: [256, 256]))
        },
        Case(name: "matmul batch broadcast", prefix: "matmul: ", fragments: ["[2, 3, 4]", "[5, 4, 6]", "broadcast"]) {
            _ = try matmul(f.init(shape: [2, 3, 4]), f.init(shape: [5, 4, 6]))
        },
        Case(
            name: "linear features", prefix: "linear: ",
            fragments: ["[32, 10, 2048]", "2048 features", "[256, 256]", "expects 256"]
        ) {
            _ = try linear(f.init(shape: [32, 10, 2048]), weight: f.init(shape: [256, 256]), bias: nil)
        },
        Case(name: "einsum bad character", prefix: "einsum: ", fragments: ["'#'", "position 2", "\"ij#->i\""]) {
            _ = try einsum("ij#->i", f.init(shape: [2, 2]))
        },
        Case(name: "einsum operand count", prefix: "einsum: ", fragments: ["2", "1"]) {
            _ = try einsum("ij,jk->ik", f.init(shape: [2, 2]))
        },
        Case(name: "einsum index sizes", prefix: "einsum: ", fragments: ["'j'", "3", "4", "operand 0", "operand 1"]) {
            _ = try einsum("ij,jk->ik", f.init(shape: [2, 3]), f.init(shape: [4, 5]))
        },
        Case(name: "einsum term rank", prefix: "einsum: ", fragments: ["\"ijk\"", "[2, 3]"]) {
            _ = try einsum("ijk->i", f.init(shape: [2, 3]))
        },
        Case(name: "einsum output index", prefix: "einsum: ", fragments: ["'z'"]) {
            _ = try einsum("ij->z", f.init(shape: [2, 3]))
        },
        // MARK: attention and masks
        Case(
            name: "sdpa Dk mismatch", prefix: "scaledDotProductAttention: ",
            fragments: ["[1, 2, 4, 8]", "[1, 2, 4, 16]"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 2, 4, 8]), keys: f.init(shape: [1, 2, 4, 16]),
                values: f.init(shape: [1, 2, 4, 8]))
        },
        Case(
            name: "sdpa key/value lengths", prefix: "scaledDotProductAttention: ",
            fragments: ["[1, 2, 5, 8]", "[1, 2, 6, 8]"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 2, 4, 8]), keys: f.init(shape: [1, 2, 5, 8]),
                values: f.init(shape: [1, 2, 6, 8]))
        },
        Case(
            name: "mayAttend mask shape", prefix: "scaledDotProductAttention: ",
            fragments: ["mayAttend mask [3, 3]", "[1, 2, 4, 4]", "broadcast"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 2, 4, 8]), keys: f.init(shape: [1, 2, 4, 8]),
                values: f.init(shape: [1, 2, 4, 8]),
                mask: .mayAttend(BoolTensor(shape: [3, 3], repeating: true)))
        },
        Case(
            name: "additive mask shape", prefix: "scaledDotProductAttention: ",
            fragments: ["additive mask [2, 4, 4, 4]", "[1, 2, 4, 4]", "broadcast"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 2, 4, 8]), keys: f.init(shape: [1, 2, 4, 8]),
                values: f.init(shape: [1, 2, 4, 8]),
                mask: .additive(f.init(shape: [2, 4, 4, 4])), algorithm: .materialized)
        },
        Case(
            name: "keyPadding mask shape", prefix: "scaledDotProductAttention: ",
            fragments: ["keyPadding mask", "[B, Lk] = [1, 4]", "got [1, 5]"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 2, 4, 8]), keys: f.init(shape: [1, 2, 4, 8]),
                values: f.init(shape: [1, 2, 4, 8]),
                mask: .keyPadding(BoolTensor(shape: [1, 5], repeating: false)))
        },
        Case(
            name: "fused with weights", prefix: "scaledDotProductAttention: ",
            fragments: ["fused", "weights", ".materialized"]
        ) {
            _ = try scaledDotProductAttention(
                queries: f.init(shape: [1, 1, 2, 2]), keys: f.init(shape: [1, 1, 2, 2]),
                values: f.init(shape: [1, 1, 2, 2]),
                returnWeights: true, algorithm: .fused)
        },
        Case(
            name: "MHA divisibility", prefix: "MultiHeadAttention: ",
            fragments: ["embedDim 256", "numHeads 3", "divisible"]
        ) {
            var generator = SeededGenerator(seed: 1)
            _ = try MultiHeadAttention<Float>(embedDim: 256, numHeads: 3, using: &generator)
        },
        Case(name: "MHA input width", prefix: "MultiHeadAttention: ", fragments: ["[2, 5, 12]", "16"]) {
            var generator = SeededGenerator(seed: 1)
            let mha = try MultiHeadAttention<Float>(embedDim: 16, numHeads: 4, using: &generator)
            let x = f.init(shape: [2, 5, 12])
            _ = try mha(query: x, key: x, value: x)
        },
        // MARK: layers, reductions, views, convolution, distances
        Case(
            name: "LayerNorm trailing shape", prefix: "LayerNorm: ", fragments: ["input [2, 5]", "normalizedShape [4]"]
        ) {
            _ = try LayerNorm<Float>(normalizedShape: [4])(f.init(shape: [2, 5]))
        },
        Case(name: "softmax dimension", prefix: "softmax: ", fragments: ["dimension 3", "rank 2"]) {
            _ = try f.init(shape: [2, 2]).softmax(dim: 3)
        },
        Case(name: "view strides", prefix: "view: ", fragments: ["[6, 4]", "strides [1, 6]", "[24]", ".contiguous()"]) {
            _ = try f.init(shape: [4, 6]).transposed(0, 1).view([24])
        },
        Case(name: "reshape element count", prefix: "reshaped: ", fragments: ["[5, 5]", "25", "[2, 3]", "6"]) {
            _ = try f.init(shape: [2, 3]).reshaped([5, 5])
        },
        Case(name: "expand incompatible", prefix: "expanded: ", fragments: ["[2, 3]", "[4, 3]", "size 2", "nor 1"]) {
            _ = try f.init(shape: [2, 3]).expanded(to: [4, 3])
        },
        Case(name: "shape overflow", prefix: "Tensor: ", fragments: ["[4611686018427387903, 3]", "overflows"]) {
            _ = try f.init(shape: [Int.max / 2, 3], scalars: [])
        },
        Case(name: "tensor element count", prefix: "Tensor: ", fragments: ["[2, 3]", "6 elements", "5 scalars"]) {
            _ = try f.init(shape: [2, 3], scalars: [1, 2, 3, 4, 5])
        },
        Case(name: "conv1d kernel too long", prefix: "conv1d: ", fragments: ["signal [3]", "kernel [5]", "K <= N"]) {
            _ = try correlate(signal: f.init(shape: [3]), kernel: f.init(shape: [5]))
        },
        Case(name: "conv2d channels", prefix: "conv2d: ", fragments: ["[1, 3, 8, 8]", "[4, 2, 3, 3]", "same C"]) {
            _ = try conv2d(f.init(shape: [1, 3, 8, 8]), weight: f.init(shape: [4, 2, 3, 3]))
        },
        Case(name: "distances feature width", prefix: "squaredDistances: ", fragments: ["[4, 3]", "[5, 2]"]) {
            _ = try squaredDistances(f.init(shape: [4, 3]), f.init(shape: [5, 2]))
        },
        // MARK: files
        Case(name: "npy bad magic", prefix: "x.npy: ", fragments: ["not a .npy file", "\\x93NUMPY"]) {
            _ = try NPY.decode(Data(repeating: 0x41, count: 64), name: "x.npy")
        },
        Case(
            name: "npy data too short", prefix: "x.npy: ",
            fragments: ["shape (4,)", "'<f4'", "16 bytes", "only 0 bytes"]
        ) {
            _ = try NPY.decode(
                NPYTestBytes.header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"), name: "x.npy")
        },
        Case(name: "npy size overflow", prefix: "x.npy: ", fragments: ["(4611686018427387904, 4)", "overflows"]) {
            _ = try NPY.decode(
                NPYTestBytes.header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"),
                name: "x.npy")
        },
        Case(
            name: "npz not a zip", prefix: "x.npz: ",
            fragments: ["not a readable ZIP archive", "end-of-central-directory"]
        ) {
            _ = try NPZ.decode(Data(repeating: 0x41, count: 64), name: "x.npz")
        },
        Case(name: "safetensors header length", prefix: "x.safetensors: ", fragments: ["header"]) {
            var bytes = Data()
            LittleEndianBytes.append(UInt64(1 << 40), to: &bytes)
            _ = try SafeTensors.decode(bytes, name: "x.safetensors")
        },
        Case(
            name: "safetensors offsets", prefix: "x.safetensors: ",
            fragments: ["tensor \"w\"", "[0, 8]", "[3, 4]", "F32", "48 bytes"]
        ) {
            var header = Array(#"{"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,8]}}"#.utf8)
            while header.count % 8 != 0 { header.append(0x20) }
            var bytes = Data()
            LittleEndianBytes.append(UInt64(header.count), to: &bytes)
            bytes.append(contentsOf: header + [UInt8](repeating: 0, count: 8))
            _ = try SafeTensors.decode(bytes, name: "x.safetensors")
        },
        Case(name: "missing file", prefix: "absent.npy: ", fragments: ["no such file"]) {
            _ = try NPY.read(contentsOf: URL(fileURLWithPath: "/nonexistent-attend-dir/absent.npy"))
        },
    ]

    @Test("each error names its op or file, the operands and the rule", arguments: cases)
    func message(_ entry: Case) {
        var thrown: (any Error)?
        do { try entry.body() } catch { thrown = error }
        let error = thrown.map { String(describing: $0) }
        #expect(error != nil, "\(entry.name): nothing was thrown")
        guard let text = error else { return }
        #expect(text.hasPrefix(entry.prefix), "\(entry.name): \(text)")
        for fragment in entry.fragments {
            #expect(text.contains(fragment), "\(entry.name): \(text) lacks \(fragment)")
        }
    }
}

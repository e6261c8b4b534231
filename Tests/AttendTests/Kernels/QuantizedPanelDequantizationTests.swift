import Foundation
import Testing
import _AttendKernels

@testable import Attend

/// The panel dequantizers a prompt's quantized matrix products feed to sgemm
/// (`QuantizedPanelLowering`): every SIMD instance of the kernel family must give the portable
/// instance's bits, block for block. The values themselves are checked against hand-made blocks in
/// `GGUFDequantizationTests`, on every path.
@Suite("Panel dequantization on every kernel path")
struct QuantizedPanelDequantizationTests {
    /// `blocks` blocks of `type` with random payload bytes and random finite f16 scales and minima
    /// (every exponent, subnormals and signed zeros included; Inf/NaN excluded, whose payload bits
    /// IEEE leaves to the operation order).
    static func randomBlocks(_ type: GGUFTensorType, blocks: Int, seed: UInt64) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        func finiteHalf() -> [UInt8] {
            var bits = UInt16(truncatingIfNeeded: g.next())
            if bits & 0x7C00 == 0x7C00 { bits &= 0xBFFF }  // exponent 31 → 15
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        var bytes: [UInt8] = []
        for _ in 0..<blocks {
            bytes += finiteHalf()
            if type == .q4_1 { bytes += finiteHalf() }
            for _ in 0..<(type.blockBytes - (type == .q4_1 ? 4 : 2)) {
                bytes.append(UInt8(truncatingIfNeeded: g.next()))
            }
        }
        return bytes
    }

    static func dequantize(_ type: GGUFTensorType, _ bytes: [UInt8], on path: KernelPath) -> [Float] {
        let count = bytes.count / type.blockBytes * type.blockSize
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
        "each path's dequantizer gives the portable one's bits for a whole 128 × 576 panel and for 1 to 3 blocks",
        arguments: KernelPath.supported, [GGUFTensorType.q4_1, .q4_0, .q8_0])
    func matchesPortable(path: KernelPath, type: GGUFTensorType) {
        for (blocks, seed) in [(128 * 576 / 32, 1), (1, 2), (2, 3), (3, 4)] {
            let bytes = Self.randomBlocks(type, blocks: blocks, seed: 1700 + UInt64(seed) + 10 * UInt64(type.rawValue))
            let portable = Self.dequantize(type, bytes, on: .portable)
            let other = Self.dequantize(type, bytes, on: path)
            let differing = zip(portable, other).enumerated().filter {
                $0.element.0.bitPattern != $0.element.1.bitPattern
            }
            #expect(
                differing.isEmpty,
                "\(path) \(type.name), \(blocks) blocks: \(differing.count) elements differ, first at \(differing.first.map { "\($0.offset): \($0.element)" } ?? "")"
            )
            #expect(!portable.contains { $0.isNaN })  // every element was written
        }
    }

    @Test("every nibble and byte value dequantizes to d·q (+ m) on every path", arguments: KernelPath.supported)
    func everyCode(path: KernelPath) {
        // Q8_0: d = −0.375, q = −128…127 over 8 blocks; Q4_x: d = 1.5, m = −3, q = 0…15 in both nibbles.
        var q8: [UInt8] = []
        for b in 0..<8 { q8 += GGUFCraft.half(-0.375) + (0..<32).map { UInt8(truncatingIfNeeded: b * 32 + $0) } }
        let q8Values = Self.dequantize(.q8_0, q8, on: path)
        #expect(q8Values == (0..<256).map { Float(-0.375) * Float(Int8(truncatingIfNeeded: $0)) })
        let payload = (0..<16).map { UInt8(15 - $0) << 4 | UInt8($0) }  // low j, high 15 − j
        let expected = (0..<16).map { Float($0) } + (0..<16).map { Float(15 - $0) }
        #expect(
            Self.dequantize(.q4_1, GGUFCraft.half(1.5) + GGUFCraft.half(-3) + payload, on: path)
                == expected.map { 1.5 * $0 - 3 })
        #expect(Self.dequantize(.q4_0, GGUFCraft.half(1.5) + payload, on: path) == expected.map { 1.5 * ($0 - 8) })
    }
}

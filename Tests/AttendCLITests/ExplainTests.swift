import Foundation
import Testing

@Suite("attend explain")
struct ExplainTests {
    @Test("matmul with a transposed B (^T or --transpose-b) passes B as transB with no copies", arguments: [
        ["explain", "matmul", "2x4x10x32", "2x4x10x32^T"],
        ["explain", "matmul", "2x4x10x32", "2x4x10x32.T"],
        ["explain", "matmul", "2x4x10x32", "2x4x10x32", "--transpose-b"],
    ])
    func transposedB(arguments: [String]) throws {
        let outcome = try AttendTool.run(arguments)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("cblas_sgemm M=10 N=10 K=32"))
        #expect(outcome.stdout.contains("transB=T"))
        #expect(outcome.stdout.contains("copies: none"))
        #expect(outcome.stdout.contains("× 8 (batched)"))
        #expect(outcome.stdout.contains("transposed view of a contiguous [2, 4, 10, 32]"))
    }

    @Test("matmul with a contiguous B passes it untransposed")
    func contiguousB() throws {
        let outcome = try AttendTool.run(["explain", "matmul", "2x4x10x32", "2x4x32x10"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("transB=N"))
        #expect(outcome.stdout.contains("ldb=10"))
    }

    @Test("einsum bhld,bhmd->bhlm is one batched sgemm with transB and no copies")
    func einsum() throws {
        let outcome = try AttendTool.run(["explain", "einsum", "bhld,bhmd->bhlm", "2x4x10x32", "2x4x10x32"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("transB=T"))
        #expect(outcome.stdout.contains("copies: none"))
    }

    @Test("sdpa 2x8x512x64 shows the two batched GEMMs, the scores intermediate and (with --causal) the mask pass")
    func sdpa() throws {
        let outcome = try AttendTool.run(["explain", "sdpa", "2x8x512x64", "--causal"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("M=512 N=512 K=64"))
        #expect(outcome.stdout.contains("M=512 N=64 K=512"))
        #expect(outcome.stdout.contains("[2, 8, 512, 512]"))
        #expect(outcome.stdout.contains("causal"))
        #expect(outcome.stdout.contains("× 16 (batched)"))
    }

    @Test("conv2d shows the im2col copy with its byte size")
    func conv2d() throws {
        let outcome = try AttendTool.run(["explain", "conv2d", "1x3x8x8", "4x3x3x3", "--padding", "1"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("copy im2col columns [1, 27, 64] (6912 bytes)"))
    }

    @Test("a malformed shape, an unknown op or a shape the op rejects exits 2 with one line", arguments: [
        ["explain", "matmul", "2x4xq", "2x4"],
        ["explain", "matmul", "2x4x10x32", "2x4x10x31"],
        ["explain", "frobnicate", "2x2"],
        ["explain", "einsum", "ij,jk->iq", "2x3", "3x4"],
    ])
    func errors(arguments: [String]) throws {
        let outcome = try AttendTool.run(arguments)
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.stderrLines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("attend explain"))
    }
}

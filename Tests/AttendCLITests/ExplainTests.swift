import Foundation
import Testing

@Suite("attend explain")
struct ExplainTests {
    @Test(
        "matmul with a transposed B (^T or --transpose-b) passes B as transB with no copies",
        arguments: [
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

    @Test(
        "a malformed shape, an unknown op or a shape the op rejects exits 2 with one line",
        arguments: [
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

    @Test("mha 2x128x512 --num-heads 8 shows the fused QKV GEMM, the per-head products and the output projection")
    func mha() throws {
        let outcome = try AttendTool.run(["explain", "mha", "2x128x512", "--num-heads", "8", "--causal"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("cblas_sgemm M=256 N=1536 K=512"))  // x [256, 512] · W_qkvᵀ
        #expect(outcome.stdout.contains("cblas_sgemm M=128 N=128 K=64"))  // Q·Kᵀ per head
        #expect(outcome.stdout.contains("× 16 (batched)"))
        #expect(outcome.stdout.contains("cblas_sgemm M=256 N=512 K=512"))  // merged heads · W_outᵀ
        #expect(outcome.stdout.contains("mask causal"))
    }

    @Test(
        "encoder-layer plans attention and the feed-forward from the shape alone; a missing --feed-forward is bad input"
    )
    func encoderLayer() throws {
        let outcome = try AttendTool.run([
            "explain", "encoder-layer", "1x128x768", "--num-heads", "12", "--feed-forward", "3072",
        ])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("cblas_sgemm M=128 N=3072 K=768"))  // linear1
        #expect(outcome.stdout.contains("cblas_sgemm M=128 N=768 K=3072"))  // linear2
        #expect(outcome.stdout.contains("LayerNorm"))
        let missing = try AttendTool.run(["explain", "encoder-layer", "1x128x768", "--num-heads", "12"])
        #expect(missing.status == 2 && missing.stderr.contains("--feed-forward"), "\(missing)")
    }
}

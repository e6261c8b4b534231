import Attend
import Foundation
import Testing

/// The snippets of `KernelsAndDoctor.md`, run. What they print depends on the machine, so the
/// checks are the rules the article states: the active path is one the CPU supports, chosen by
/// CPUID unless the environment asks otherwise; OpenBLAS is kept or corrected, never left on a
/// fallback Attend could fix; OpenBLAS runs one thread per call.
@Suite("Article: Kernels and attend doctor")
struct KernelsAndDoctorTests {
    @Test("the active kernel path is supported here and follows CPUID or ATTEND_KERNELS")
    func kernelPath() throws {
        // snippet: kernels-path
        let path = KernelPath.active  // the best path this CPU runs: .avx512, .avx2 or .portable
        let why = KernelPath.selection  // "CPUID: AVX2 + FMA", or "ATTEND_KERNELS=portable"
        let runnable = KernelPath.supported  // best first: [.avx2, .portable] on AVX2 + FMA without AVX-512
        // snippet-end
        #expect(runnable.contains(path))
        #expect(runnable.last == .portable)
        let environment = ProcessInfo.processInfo.environment
        let forced = environment["ATTEND_KERNELS"].map { !$0.isEmpty } ?? false
        if forced {
            #expect(why.hasPrefix("ATTEND_KERNELS="))
        } else if environment["ATTEND_PORTABLE_KERNELS"] == "1" {
            #expect(path == .portable && why == "ATTEND_PORTABLE_KERNELS=1")
        } else {
            #expect(path == runnable[0])
            #expect(why == (path == .portable ? "CPUID: neither AVX-512 nor AVX2 + FMA" : "CPUID: \(path.requirement)"))
        }
    }

    @Test("OpenBLAS's core is kept, corrected or the user's; it runs one thread per call")
    func openBLASCore() throws {
        // snippet: kernels-openblas-core
        let status = OpenBLASCoreSelection.status  // checked once, before the first GEMM
        let core = status.activeCore  // "Zen" on AMD Zen, "Haswell", "SkylakeX", …
        let expected = status.expectedCore  // from CPUID: "Haswell" for AVX2 + FMA, nil for less
        let line = status.summary  // "OpenBLAS 0.3.21 core Zen (kept)"
        let perCall = Parallelism.openBLASThreadsPerCall  // 1: Attend parallelizes around it
        // snippet-end
        #expect(line.contains("core \(core)"))
        #expect(perCall == 1)
        switch status.action {
        case .kept, .corrected: #expect(!status.activeCoreIsFallback)
        case .userChoice: #expect(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil)
        case .uncorrectable: break  // a non-DYNAMIC_ARCH OpenBLAS: reported, not fixable in-process
        }
        if status.corrected { #expect(status.requestedCore == expected) }
        #expect(KernelPath.supported.contains(.avx2) == (expected != nil))
    }

    @Test("Parallelism.threadCount is the one knob; results do not depend on it for batched attention")
    func threads() throws {
        // snippet: kernels-threads
        let saved = Parallelism.threadCount  // default: every core
        var generator = SeededGenerator(seed: 50)
        let q = Tensor<Float>.randn([2, 4, 64, 32], using: &generator)  // [B, H, L, D]
        Parallelism.threadCount = 1
        let serial = try scaledDotProductAttention(queries: q, keys: q, values: q).output  // [B, H, L, D]
        Parallelism.threadCount = 2
        let parallel = try scaledDotProductAttention(queries: q, keys: q, values: q).output  // same bits
        Parallelism.threadCount = saved
        // snippet-end
        #expect(serial.scalars == parallel.scalars)
    }
}

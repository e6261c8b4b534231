import Foundation
import Testing

@testable import Attend

@Suite("FMA peak")
struct FMAPeakTests {
    /// Flops per cycle per core of each path's loop on the widest hardware there is (two FMA
    /// units), and a clock no CPU exceeds: the measured peak must stay below their product.
    static let ceiling: [KernelPath: Double] = [.avx512: 64, .avx2: 32, .portable: 16]
    static let maximumGHz = 6.5

    // Paths this CPU lacks are never called; KernelFamilyTests reports them skipped.
    @Test(
        "each kernel path's peak loop measures a positive rate no CPU could exceed",
        arguments: KernelPath.supported)
    func plausible(path: KernelPath) throws {
        let gflops = FMAPeak.gigaflopsPerCore(path, seconds: 0.01, trials: 3)
        #expect(gflops > 1, "\(path.rawValue): \(gflops) GFLOPS")
        #expect(gflops < Self.ceiling[path]! * Self.maximumGHz, "\(path.rawValue): \(gflops) GFLOPS")
    }

    @Test(
        "the AVX2 loop does more than the portable one per core (8-lane FMA against 4-lane multiply and add)",
        .enabled(if: KernelPath.avx2.isSupported(), "this CPU lacks AVX2 + FMA"))
    func avx2BeatsPortable() throws {
        // Interleaved, best of three each, on thread CPU time: other processes cannot decide it.
        var avx2 = 0.0
        var portable = 0.0
        for _ in 0..<3 {
            avx2 = max(avx2, FMAPeak.gigaflopsPerCore(.avx2, seconds: 0.01, trials: 2))
            portable = max(portable, FMAPeak.gigaflopsPerCore(.portable, seconds: 0.01, trials: 2))
        }
        #expect(avx2 > 1.3 * portable, "avx2 \(avx2) vs portable \(portable) GFLOPS")
    }

    @Test(
        "the widest kernel path a CPU supports, whose peak the benchmark uses by default",
        arguments: [
            (CPUGeneration.skylakeX, KernelPath.avx512),
            // AVX-512 F and CD without BW, DQ, VL: the AVX-512 loop would run, the path does not.
            (CPUGeneration.knightsLanding, .avx2),
            (CPUGeneration.haswell, .avx2),
            (CPUGeneration.avx2WithoutFMA, .portable),
            (CPUGeneration.sandyBridge, .portable),
            (CPUGeneration.sse, .portable),
        ] as [(CPUFeatures, KernelPath)])
    func widest(cpu: CPUFeatures, path: KernelPath) {
        #expect(KernelPath.allCases.first { $0.isSupported(on: cpu) } == path)
    }

    @Test(
        "the active path's peak on all cores at once is at least the one-core peak and at most cores × it, with margin")
    func allCores() {
        let path = KernelPath.active
        #expect(path.isSupported())
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let one = FMAPeak.gigaflopsPerCore(path, seconds: 0.01, trials: 3)
        let all = FMAPeak.gigaflops(path, threads: cores, seconds: 0.01, trials: 3)
        #expect(all > 0.5 * one, "\(path.rawValue): \(all) on \(cores) cores vs \(one) on one")
        #expect(all < 1.5 * Double(cores) * one, "\(path.rawValue): \(all) on \(cores) cores vs \(one) on one")
    }
}

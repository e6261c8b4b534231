import Foundation
import Testing

@testable import Attend

@Suite("FMA peak")
struct FMAPeakTests {
    /// Flops per cycle per core of each loop on the widest hardware there is (two FMA units),
    /// and a clock no CPU exceeds: the measured peak must stay below their product.
    static let ceiling: [FMAPeak.ISA: Double] = [.avx512: 64, .avx2: 32, .portable: 16]
    static let maximumGHz = 6.5

    @Test("each peak loop this CPU runs measures a positive rate no CPU could exceed", arguments: FMAPeak.ISA.allCases)
    func plausible(isa: FMAPeak.ISA) {
        guard FMAPeak.isAvailable(isa) else { return }  // never call a path the CPU lacks
        let gflops = FMAPeak.gigaflopsPerCore(isa, seconds: 0.01, trials: 3)
        #expect(gflops > 1, "\(isa): \(gflops) GFLOPS")
        #expect(gflops < Self.ceiling[isa]! * Self.maximumGHz, "\(isa): \(gflops) GFLOPS")
    }

    @Test("the AVX2 loop does more than the portable one per core (8-lane FMA against 4-lane multiply and add)")
    func avx2BeatsPortable() {
        guard FMAPeak.isAvailable(.avx2) else { return }
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
        "the loop the benchmark uses is the widest the CPU runs",
        arguments: [
            (CPUGeneration.skylakeX, FMAPeak.ISA.avx512),
            (CPUGeneration.knightsLanding, .avx512),
            (CPUGeneration.haswell, .avx2),
            (CPUGeneration.avx2WithoutFMA, .portable),
            (CPUGeneration.sandyBridge, .portable),
            (CPUGeneration.sse, .portable),
        ] as [(CPUFeatures, FMAPeak.ISA)])
    func widest(cpu: CPUFeatures, isa: FMAPeak.ISA) {
        #expect(FMAPeak.best(on: cpu) == isa)
    }

    @Test("the peak on all cores at once is at least the one-core peak and at most cores × it, with margin")
    func allCores() {
        let isa = FMAPeak.best()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let one = FMAPeak.gigaflopsPerCore(isa, seconds: 0.01, trials: 3)
        let all = FMAPeak.gigaflops(isa, threads: cores, seconds: 0.01, trials: 3)
        #expect(all > 0.5 * one, "\(all) on \(cores) cores vs \(one) on one")
        #expect(all < 1.5 * Double(cores) * one, "\(all) on \(cores) cores vs \(one) on one")
    }
}

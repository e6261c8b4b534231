import Dispatch
import Foundation
import Synchronization
import _AttendKernels

#if canImport(Glibc)
    import Glibc
#endif

/// The FMA peak of this machine, measured: how many Float operations per second a core can do
/// with each instruction set, so achieved GFLOPS can be reported as a fraction of what the
/// hardware can do rather than of a library that may itself be slow.
///
/// The loops (`_AttendKernels/fma_peak_*.c`) run independent multiply-add chains on registers
/// only: per iteration 16 ZMM `vfmadd213ps` (AVX-512: 512 flops), 12 YMM ones (AVX2: 192 flops)
/// or 12 SSE `mulps` + `addps` pairs (portable: 96 flops). The rate is taken on the thread's
/// **CPU time** (`CLOCK_THREAD_CPUTIME_ID`), best of several runs, so other processes on a
/// shared machine lower the wall-clock speed of a benchmark but not the peak it is compared to:
///
///     peak GFLOPS = max over runs of flops / (thread CPU seconds · 10⁹)
///
/// ``gigaflops(_:threads:seconds:trials:)`` runs the loop on `threads` threads at once and adds their rates, so
/// cores that share an FMA unit (SMT siblings) show it.
public enum FMAPeak {
    /// The instruction set a peak loop uses.
    public enum ISA: String, CaseIterable, Sendable {
        /// 512-bit FMA (AVX-512F).
        case avx512
        /// 256-bit FMA (AVX2 + FMA).
        case avx2
        /// No AVX: SSE2 multiply and add on x86-64, plain C vectors elsewhere.
        case portable
    }

    /// True when this CPU runs `isa` (CPUID and the OS's register state, see ``CPUFeatures``).
    public static func isAvailable(_ isa: ISA, on cpu: CPUFeatures = .current) -> Bool {
        switch isa {
        case .avx512: cpu.avx512f
        case .avx2: cpu.hasAVX2FMA
        case .portable: true
        }
    }

    /// The widest instruction set this CPU runs.
    public static func best(on cpu: CPUFeatures = .current) -> ISA {
        ISA.allCases.first { isAvailable($0, on: cpu) } ?? .portable
    }

    /// The instruction set the benchmark's peak refers to: ``best(on:)``, or the one
    /// `ATTEND_FMA_PEAK_ISA` (`avx512`, `avx2`, `portable`) names when the CPU runs it — how the
    /// side-by-side script measures the AVX2 path of an AVX-512 machine against the AVX2 peak.
    public static var selected: ISA {
        if let forced = forcedISA, isAvailable(forced) { return forced }
        return best()
    }

    /// Why `ATTEND_FMA_PEAK_ISA` is ignored, when it is (an unknown name, or an ISA this CPU lacks).
    public static var environmentProblem: String? {
        guard let raw = getenv("ATTEND_FMA_PEAK_ISA").map({ String(cString: $0) }), !raw.isEmpty else { return nil }
        guard let isa = ISA(rawValue: raw.lowercased()) else {
            return
                "ATTEND_FMA_PEAK_ISA=\(raw) is not one of \(ISA.allCases.map(\.rawValue).joined(separator: ", ")); using \(best().rawValue)"
        }
        return isAvailable(isa)
            ? nil : "ATTEND_FMA_PEAK_ISA=\(raw): this CPU cannot run \(raw); using \(best().rawValue)"
    }

    private static var forcedISA: ISA? {
        getenv("ATTEND_FMA_PEAK_ISA").flatMap { ISA(rawValue: String(cString: $0).lowercased()) }
    }

    /// Runs one loop of `iterations` on the calling thread: (flops, thread CPU seconds).
    /// Precondition: the CPU runs `isa`.
    static func run(_ isa: ISA, iterations: Int) -> (flops: Double, seconds: Double) {
        precondition(isAvailable(isa), "FMAPeak: this CPU cannot run the \(isa.rawValue) loop")
        var result: Float = 0
        let start = threadCPUSeconds()
        let flops: Double
        switch isa {
        case .avx512: flops = attend_fma_peak_avx512(iterations, &result)
        case .avx2: flops = attend_fma_peak_avx2(iterations, &result)
        case .portable: flops = attend_fma_peak_portable(iterations, &result)
        }
        let seconds = threadCPUSeconds() - start
        precondition(result.isFinite && result > 0, "FMAPeak: the \(isa.rawValue) loop produced \(result)")
        return (flops, seconds)
    }

    /// GFLOPS of one core with `isa`: the best of `trials` runs of about `seconds` each.
    public static func gigaflopsPerCore(_ isa: ISA, seconds: Double = 0.02, trials: Int = 5) -> Double {
        // Calibrate: a short run tells how many iterations fill `seconds`.
        var iterations = 100_000
        var probe = run(isa, iterations: iterations)
        while probe.seconds < 0.002 && iterations < 1 << 40 {
            iterations *= 8
            probe = run(isa, iterations: iterations)
        }
        iterations = Swift.max(1, Int(Double(iterations) * seconds / Swift.max(probe.seconds, 1e-9)))
        var best = 0.0
        for _ in 0..<Swift.max(trials, 1) {
            let (flops, time) = run(isa, iterations: iterations)
            if time > 0 { best = Swift.max(best, flops / time / 1e9) }
        }
        return best
    }

    /// GFLOPS of `threads` cores running the `isa` loop at the same time (the sum of their
    /// per-thread rates). `threads` is capped at the number of cores: more threads than cores
    /// would time-share and measure nothing new.
    public static func gigaflops(_ isa: ISA, threads: Int, seconds: Double = 0.02, trials: Int = 5) -> Double {
        let count = Swift.max(1, Swift.min(threads, ProcessInfo.processInfo.activeProcessorCount))
        if count == 1 { return gigaflopsPerCore(isa, seconds: seconds, trials: trials) }
        let rates = Mutex([Double](repeating: 0, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { worker in
            let rate = gigaflopsPerCore(isa, seconds: seconds, trials: trials)
            rates.withLock { $0[worker] = rate }
        }
        return rates.withLock { $0.reduce(0, +) }
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

import Dispatch
import Foundation
import Synchronization
import _AttendKernels

#if canImport(Glibc)
    import Glibc
#endif

/// The FMA peak of this machine, measured: how many Float operations per second a core can do
/// on each ``KernelPath``, so achieved GFLOPS can be reported as a fraction of what the hardware
/// can do rather than of a library that may itself be slow.
///
/// The loops (`_AttendKernels/fma_peak_*.c`) are written by hand per instruction set and run
/// independent multiply-add chains on registers only. Per iteration:
///
/// | path | loop | flops per iteration |
/// |---|---|---|
/// | `.avx512` | 16 ZMM `vfmadd213ps` (16 lanes) | 16 · 16 · 2 = 512 |
/// | `.avx2` | 12 YMM `vfmadd213ps` (8 lanes) | 12 · 8 · 2 = 192 |
/// | `.portable` | 12 SSE `mulps` + `addps` pairs (4 lanes) | 12 · 4 · 2 = 96 |
///
/// The AVX-512 loop itself needs only AVX-512F; it runs when the CPU supports the `.avx512` path
/// (F, BW, DQ, VL), because the peak is reported for the path whose kernels run.
///
/// The rate is taken on the thread's **CPU time** (`CLOCK_THREAD_CPUTIME_ID`), best of several
/// runs, so other processes on a shared machine lower the wall-clock speed of a benchmark but not
/// the peak it is compared to:
///
///     peak GFLOPS = max over runs of flops / (thread CPU seconds · 10⁹)
///
/// ``gigaflops(_:threads:seconds:trials:)`` runs the loop on `threads` threads at once and adds
/// their rates, so cores that share an FMA unit (SMT siblings) show it. Benchmarks compare with
/// the peak of ``KernelPath/active``: `ATTEND_KERNELS=avx2` on an AVX-512 machine runs the AVX2
/// kernels and measures them against the AVX2 peak.
public enum FMAPeak {
    /// Runs `path`'s loop for `iterations` on the calling thread: (flops, thread CPU seconds).
    /// - Precondition: the CPU supports `path` (``KernelPath/isSupported(on:)``).
    static func run(_ path: KernelPath, iterations: Int) -> (flops: Double, seconds: Double) {
        precondition(
            path.isSupported(), "FMAPeak: this CPU cannot run the \(path.rawValue) loop (needs \(path.requirement))")
        var result: Float = 0
        let start = threadCPUSeconds()
        let flops: Double
        switch path {
        case .avx512: flops = attend_fma_peak_avx512(iterations, &result)
        case .avx2: flops = attend_fma_peak_avx2(iterations, &result)
        case .portable: flops = attend_fma_peak_portable(iterations, &result)
        }
        let seconds = threadCPUSeconds() - start
        precondition(result.isFinite && result > 0, "FMAPeak: the \(path.rawValue) loop produced \(result)")
        return (flops, seconds)
    }

    /// GFLOPS of one core on `path`: the best of `trials` runs of about `seconds` each.
    /// - Precondition: the CPU supports `path`.
    public static func gigaflopsPerCore(_ path: KernelPath, seconds: Double = 0.02, trials: Int = 5) -> Double {
        // Calibrate: a short run tells how many iterations fill `seconds`.
        var iterations = 100_000
        var probe = run(path, iterations: iterations)
        while probe.seconds < 0.002 && iterations < 1 << 40 {
            iterations *= 8
            probe = run(path, iterations: iterations)
        }
        iterations = Swift.max(1, Int(Double(iterations) * seconds / Swift.max(probe.seconds, 1e-9)))
        var best = 0.0
        for _ in 0..<Swift.max(trials, 1) {
            let (flops, time) = run(path, iterations: iterations)
            if time > 0 { best = Swift.max(best, flops / time / 1e9) }
        }
        return best
    }

    /// GFLOPS of `threads` cores running `path`'s loop at the same time (the sum of their
    /// per-thread rates). `threads` is capped at the number of cores: more threads than cores
    /// would time-share and measure nothing new.
    /// - Precondition: the CPU supports `path`.
    public static func gigaflops(_ path: KernelPath, threads: Int, seconds: Double = 0.02, trials: Int = 5) -> Double {
        let count = Swift.max(1, Swift.min(threads, ProcessInfo.processInfo.activeProcessorCount))
        if count == 1 { return gigaflopsPerCore(path, seconds: seconds, trials: trials) }
        let rates = Mutex([Double](repeating: 0, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { worker in
            let rate = gigaflopsPerCore(path, seconds: seconds, trials: trials)
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

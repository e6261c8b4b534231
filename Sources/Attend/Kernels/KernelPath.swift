import Foundation
import _AttendKernels

/// Which CPU-specific kernels Attend runs: chosen once per process from CPUID, or forced by the
/// environment so tests and benchmarks can run every path on one machine.
///
/// - `.avx2`: the AVX2 + FMA kernels in `_AttendKernels` — the fused attention micro-kernel
///   (`attention_avx2.c`: Sᵀ = K·Q̃ᵀ register tiles of 6 keys × 16 queries, 128-key blocks, exp2
///   polynomial, FTZ/DAZ while it runs) and the vectorized exp/max of the sgemm-tiled paths.
/// - `.portable`: no CPU-specific code — the fused attention runs its tiles through `sgemm`
///   with the Swift SIMD exp (`VectorExp.swift`).
///
/// An AVX-512 family would be a third case chosen ahead of `.avx2` when CPUID reports
/// AVX-512F; this build has none (it was developed on a machine without AVX-512, where such
/// code could not be run or tested).
///
/// `ATTEND_KERNELS=avx2|portable` forces a path (`ATTEND_PORTABLE_KERNELS=1` is the older
/// spelling of `portable`). Asking for a path this CPU or build cannot run prints one line on
/// stderr and uses the best path available instead (see ``selection``).
public enum KernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The AVX2 + FMA kernels of `_AttendKernels` (`attention_avx2.c`, the vector exp/max); needs both
    /// features in ``CPUFeatures``.
    case avx2
    /// No CPU-specific code: sgemm tiles and the Swift SIMD exp; runs everywhere.
    case portable

    /// The path every kernel call in this process uses.
    public static var active: KernelPath { choice.path }

    /// How ``active`` was chosen, in words (for `attend doctor`): CPUID, the environment, or a
    /// fallback from an unavailable request.
    public static var selection: String { choice.reason }

    /// The paths this CPU can run, best first.
    public static var supported: [KernelPath] { attend_cpu_has_avx2_fma() ? [.avx2, .portable] : [.portable] }

    /// The path and what it runs, for `attend doctor`: `avx2 (AVX2 + FMA micro-kernels)` or
    /// `portable (sgemm tiles, Swift SIMD exp)`.
    public var description: String {
        switch self {
        case .avx2: return "avx2 (AVX2 + FMA micro-kernels)"
        case .portable: return "portable (sgemm tiles, Swift SIMD exp)"
        }
    }

    private static let choice: (path: KernelPath, reason: String) = {
        func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        return resolve(
            requested: environment("ATTEND_KERNELS"), portableAlias: environment("ATTEND_PORTABLE_KERNELS"),
            supported: supported,
            warn: { message in
                FileHandle.standardError.write(Data("attend: \(message)\n".utf8))
            })
    }()

    /// The rule behind ``active``, separate from the process environment so it can be tested.
    static func resolve(
        requested: String?, portableAlias: String?, supported: [KernelPath], warn: (String) -> Void
    ) -> (path: KernelPath, reason: String) {
        let best = supported[0]
        if let requested, !requested.isEmpty {
            let name = requested.lowercased()
            if let path = KernelPath(rawValue: name) {
                if supported.contains(path) { return (path, "ATTEND_KERNELS=\(requested)") }
                let message =
                    "ATTEND_KERNELS=\(requested): this CPU lacks \(path == .avx2 ? "AVX2 + FMA" : name); using \(best.rawValue)"
                warn(message)
                return (best, message)
            }
            let message =
                name == "avx512"
                ? "ATTEND_KERNELS=\(requested): this build has no AVX-512 kernels; using \(best.rawValue)"
                : "ATTEND_KERNELS=\(requested) is not a kernel path (expected one of \(allCases.map(\.rawValue).joined(separator: ", "))); using \(best.rawValue)"
            warn(message)
            return (best, message)
        }
        if portableAlias == "1" { return (.portable, "ATTEND_PORTABLE_KERNELS=1") }
        return (best, best == .avx2 ? "CPUID: AVX2 + FMA" : "CPUID: no AVX2 + FMA")
    }
}

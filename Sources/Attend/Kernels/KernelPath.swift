import Foundation
import _AttendKernels

/// Which instance of Attend's kernel family runs: chosen once per process from the CPU's features
/// (``CPUFeatures``: CPUID, and XGETBV for the register state the OS saves), or forced by
/// `ATTEND_KERNELS`. This enum is the only switch between paths: every kernel call reads its
/// dispatch table from the path in use, and ``fusedAttentionPlan(queries:keys:values:mask:scale:)``
/// reads its block sizes from the same table.
///
/// Each kernel is written once against a small vector vocabulary (`_AttendKernels/family/`) and
/// compiled once per instruction set with per-function target attributes
/// (`_AttendKernels/kernels_<isa>.c`), so the three paths run the same schedule:
///
/// | path | vector | attention register tile | what the CPU needs |
/// |---|---|---|---|
/// | `.avx512` | 16 floats (ZMM) | 12 keys × 32 queries | AVX-512 F, BW, DQ, VL + OS ZMM state |
/// | `.avx2` | 8 floats (YMM) | 6 keys × 16 queries | AVX2 + FMA + F16C + OS YMM state |
/// | `.portable` | 4 floats (SSE2 / NEON) | 6 keys × 8 queries | nothing |
///
/// `ATTEND_KERNELS=avx512|avx2|portable` forces a path (`ATTEND_PORTABLE_KERNELS=1` is the older
/// spelling of `portable`). Asking for a path this CPU cannot run prints one line on stderr and
/// uses the best path available instead (see ``selection``).
public enum KernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The AVX-512 instance: 16-lane vectors, opmask tails, `vscalefps` in exp.
    case avx512
    /// The AVX2 + FMA instance: 8-lane vectors.
    case avx2
    /// The instance without CPU-specific code (4-lane GCC/Clang vectors); runs everywhere.
    case portable

    /// The path kernel calls on this thread use: the process's choice (``selection`` says how it
    /// was made), unless a test scoped another one.
    public static var active: KernelPath { scoped ?? choice.path }

    /// How the process's path was chosen, in words (for `attend doctor`): CPUID, the environment,
    /// or a fallback from an unavailable request.
    public static var selection: String { choice.reason }

    /// The paths this CPU can run, best first.
    public static var supported: [KernelPath] { allCases.filter { $0.isSupported() } }

    /// True when `cpu` can run this path's instance (``requirement``).
    public func isSupported(on cpu: CPUFeatures = .current) -> Bool {
        switch self {
        case .avx512: cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx512vl && cpu.hasAVX2FMA && cpu.f16c
        case .avx2: cpu.hasAVX2FMA && cpu.f16c
        case .portable: true
        }
    }

    /// What the CPU needs for this path, for messages: `AVX-512 F, BW, DQ and VL`, `AVX2 + FMA`, `nothing`.
    public var requirement: String {
        switch self {
        case .avx512: "AVX-512 F, BW, DQ and VL"
        case .avx2: "AVX2 + FMA"
        case .portable: "nothing"
        }
    }

    /// The path and what it runs, for `attend doctor`: `avx2 (kernel family on AVX2 + FMA, 8 lanes)`.
    public var description: String {
        switch self {
        case .portable: "portable (kernel family in portable C, \(kernels.lanes) lanes)"
        default: "\(rawValue) (kernel family on \(requirement), \(kernels.lanes) lanes)"
        }
    }

    /// This path's dispatch table: its kernels and the geometry they were compiled with.
    /// - Precondition: ``isCompiled`` (every path on x86-64; only `.portable` elsewhere).
    var kernels: attend_kernel_table {
        guard let table = attend_kernels(isa) else {
            preconditionFailure("KernelPath: this build has no \(rawValue) instance (x86-64 only)")
        }
        return table.pointee
    }

    /// Whether this build has the path's instance: the SIMD instances are compiled on x86-64 only.
    var isCompiled: Bool { attend_kernels(isa) != nil }

    private var isa: attend_isa {
        switch self {
        case .avx512: ATTEND_ISA_AVX512
        case .avx2: ATTEND_ISA_AVX2
        case .portable: ATTEND_ISA_PORTABLE
        }
    }

    /// Runs `body` with kernel calls made on this task taking `path` (tests compare every path in one process).
    /// - Precondition: the CPU supports `path`.
    public static func withKernels<R>(_ path: KernelPath, _ body: () throws -> R) rethrows -> R {
        precondition(
            path.isSupported(),
            "KernelPath.withKernels: this CPU cannot run \(path.rawValue) (needs \(path.requirement))")
        return try $scoped.withValue(path, operation: body)
    }

    /// The asynchronous form of ``withKernels(_:_:)``: child tasks of `body` take `path` too.
    public static func withKernels<R>(
        _ path: KernelPath, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
    ) async rethrows -> R {
        precondition(
            path.isSupported(),
            "KernelPath.withKernels: this CPU cannot run \(path.rawValue) (needs \(path.requirement))")
        return try await $scoped.withValue(path, operation: body)
    }

    @TaskLocal private static var scoped: KernelPath?

    private static let choice: (path: KernelPath, reason: String) = {
        func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        return resolve(
            requested: environment("ATTEND_KERNELS"), portableAlias: environment("ATTEND_PORTABLE_KERNELS"),
            supported: supported,
            warn: { message in
                FileHandle.standardError.write(Data("attend: \(message)\n".utf8))
            })
    }()

    /// The rule behind the process's path, separate from the environment so it can be tested.
    static func resolve(
        requested: String?, portableAlias: String?, supported: [KernelPath], warn: (String) -> Void
    ) -> (path: KernelPath, reason: String) {
        let best = supported.first ?? .portable
        if let requested, !requested.isEmpty {
            guard let path = KernelPath(rawValue: requested.lowercased()) else {
                let message =
                    "ATTEND_KERNELS=\(requested) is not a kernel path (expected one of \(allCases.map(\.rawValue).joined(separator: ", "))); using \(best.rawValue)"
                warn(message)
                return (best, message)
            }
            if supported.contains(path) { return (path, "ATTEND_KERNELS=\(requested)") }
            let message = "ATTEND_KERNELS=\(requested): this CPU lacks \(path.requirement); using \(best.rawValue)"
            warn(message)
            return (best, message)
        }
        if portableAlias == "1" { return (.portable, "ATTEND_PORTABLE_KERNELS=1") }
        return (best, best == .portable ? "CPUID: neither AVX-512 nor AVX2 + FMA" : "CPUID: \(best.requirement)")
    }
}

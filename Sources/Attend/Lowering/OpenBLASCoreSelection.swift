import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

// OpenBLAS on the kernels the CPU has.
//
// A DYNAMIC_ARCH OpenBLAS (Debian's, NumPy's) picks its kernels once, when it loads, from a table
// of CPU models it knows. A model newer than its table falls through to an old core — Debian
// bookworm's 0.3.21 runs `Prescott` (SSE3) kernels on Intel family 6 model 207 (AVX-512), 5× slower
// than its `SkylakeX` ones — and nothing tells the user. So before Attend's first GEMM this file
// compares the core OpenBLAS reports with what CPUID says the CPU runs, and when OpenBLAS has
// fallen back, selects the right core.
//
// Mechanism, and why this one. OpenBLAS reads `OPENBLAS_CORETYPE` inside `gotoblas_dynamic_init`,
// which runs when the library loads; `gotoblas_dynamic_quit` forgets the choice. Both are exported
// by DYNAMIC_ARCH builds. Attend sets the variable, calls quit + init (the kernel table is
// re-selected; buffers and threads are untouched), and restores the environment as it was, so
// child processes see the user's environment, not Attend's. The alternatives were worse: setting
// the variable in the environment of the *next* process needs a re-exec, which only a CLI can do,
// not a library inside someone's app; and linking our own copy of OpenBLAS is not ours to do.
// The entry points are looked up with `dlsym`, so an OpenBLAS built without DYNAMIC_ARCH (one
// fixed core, no such symbols) still links: it is left alone, with a one-line warning on stderr
// when its core is a fallback on this CPU.
//
// Rules:
// - Fallback, precisely: OpenBLAS reports one of the cores whose kernels predate AVX2
//   (``preAVX2Cores``: Prescott, Core2, Penryn, Dunnington, Nehalem, Sandybridge, Atom, Katmai,
//   Bulldozer, …) while CPUID shows AVX2 + FMA (or AVX-512). A core Attend does not know, or an
//   AVX2-class core (Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids), is never touched.
// - The replacement is the newest core whose instructions the CPU certainly runs: `SkylakeX` when
//   the Skylake-SP AVX-512 subsets (F, CD, BW, DQ, VL) are usable, else `Haswell` with AVX2 + FMA
//   (never a core needing instructions CPUID + XGETBV do not confirm). Afterwards the reported core
//   must be the requested one; if it is not (a build without AVX-512 kernels maps SkylakeX to
//   Haswell), the next candidate is tried, and if none is accepted OpenBLAS's own choice is restored.
// - A user's own `OPENBLAS_CORETYPE` always wins: Attend then changes nothing (``status`` says so).
// - It runs once, inside a `static let` (thread-safe, once per process), called from
//   ``OpenBLASThreads/useOne()`` before the first GEMM any op issues. Re-initializing OpenBLAS while
//   another thread is inside it would crash that thread, so a program that calls OpenBLAS itself,
//   on other threads, before Attend's first op should read ``OpenBLASCoreSelection/status`` first.
//   (The same holds for `setenv`, which glibc does not synchronize with `getenv` on other threads;
//   both happen only when a fallback is found, i.e. on a machine that needs it.)

/// What OpenBLAS runs and what Attend did about it (see ``OpenBLASCoreSelection``).
public struct OpenBLASCoreStatus: Sendable, Equatable {
    /// What Attend did.
    public enum Action: Sendable, Equatable {
        /// OpenBLAS's own choice was not a fallback for this CPU; left as it was.
        case kept
        /// OpenBLAS had fallen back; Attend re-initialized it on ``OpenBLASCoreStatus/activeCore``.
        case corrected
        /// `OPENBLAS_CORETYPE` is set in the environment: the user's choice, left alone.
        case userChoice(String)
        /// OpenBLAS has fallen back but could not be corrected (the reason: not a DYNAMIC_ARCH
        /// build, or the core was not accepted).
        case uncorrectable(String)
    }

    /// The core OpenBLAS reported before Attend looked (its own detection, or the user's choice).
    public let detectedCore: String
    /// The core this CPU should run according to CPUID (`SkylakeX`, `Haswell`), nil when the CPU
    /// has no AVX2 + FMA (then OpenBLAS's own choice stands).
    public let expectedCore: String?
    /// The core Attend asked OpenBLAS for (`OPENBLAS_CORETYPE` during the re-initialization), nil
    /// when it did not re-initialize.
    public let requestedCore: String?
    /// The core OpenBLAS runs now (`openblas_get_corename()`).
    public let activeCore: String
    /// What Attend did: ``Action/kept``, ``Action/corrected``, ``Action/userChoice(_:)`` or
    /// ``Action/uncorrectable(_:)``.
    public let action: Action
    /// `openblas_get_config()`: version, build options, core, thread limit.
    public let config: String

    /// True when Attend re-initialized OpenBLAS.
    public var corrected: Bool { action == .corrected }

    /// The OpenBLAS version from the config string (`0.3.21`), or nil.
    public var version: String? {
        let words = config.split(separator: " ")
        return words.count >= 2 && words[0] == "OpenBLAS" ? String(words[1]) : nil
    }

    /// True when the active core is still a fallback for this CPU (the user's choice, or uncorrectable).
    public var activeCoreIsFallback: Bool { OpenBLASCoreSelection.isFallback(activeCore, on: .current) }

    /// One line: `OpenBLAS 0.3.21 core Zen (kept)`, `… core SkylakeX (corrected from Prescott)`.
    public var summary: String {
        let what: String
        switch action {
        case .kept: what = "kept"
        case .corrected: what = "corrected by Attend from \(detectedCore)"
        case .userChoice(let value): what = "OPENBLAS_CORETYPE=\(value) set by the user"
        case .uncorrectable(let reason): what = "FALLBACK, not corrected: \(reason)"
        }
        return "OpenBLAS \(version ?? "?") core \(activeCore) (\(what))"
    }
}

/// Detects an OpenBLAS kernel fallback and corrects it, once, before Attend's first GEMM.
///
/// The CPUID → core mapping:
///
/// | CPUID + XGETBV                          | expected core |
/// |-----------------------------------------|---------------|
/// | AVX-512 F, CD, BW, DQ and VL usable     | `SkylakeX`    |
/// | AVX2 and FMA usable                     | `Haswell`     |
/// | otherwise                               | none (OpenBLAS's choice stands) |
///
/// A reported core is a *fallback* when it is one of OpenBLAS's pre-AVX2 x86 cores (`Prescott`,
/// `Core2`, `Nehalem`, `Sandybridge` …) and an expected core exists.
/// On AMD, `Zen` (Haswell-class kernels tuned for Zen) is not a fallback.
public enum OpenBLASCoreSelection {
    /// OpenBLAS x86 cores whose kernels use no AVX2 (lowercase, as compared).
    static let preAVX2Cores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
        "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge", "bobcat",
        "bulldozer", "piledriver", "steamroller", "excavator",
    ]

    /// The cores `cpu` certainly runs that replace a fallback, best first (see the table above).
    static func candidateCores(for cpu: CPUFeatures) -> [String] {
        guard cpu.hasAVX2FMA else { return [] }
        return cpu.hasAVX512Skylake ? ["SkylakeX", "Haswell"] : ["Haswell"]
    }

    /// The core OpenBLAS should run on `cpu` (see the table above).
    static func expectedCore(for cpu: CPUFeatures) -> String? { candidateCores(for: cpu).first }

    /// True when `core` (as `openblas_get_corename()` spells it) is a pre-AVX2 core while `cpu`
    /// runs AVX2 + FMA.
    static func isFallback(_ core: String, on cpu: CPUFeatures) -> Bool {
        expectedCore(for: cpu) != nil && preAVX2Cores.contains(core.lowercased())
    }

    /// What to do, as a pure function of what OpenBLAS reports, the CPU, and the user's
    /// `OPENBLAS_CORETYPE` (nil or empty when unset): the core to switch to, or nil to leave it.
    static func correction(reported: String, cpu: CPUFeatures, userCoreType: String?) -> String? {
        if let userCoreType, !userCoreType.isEmpty { return nil }
        guard isFallback(reported, on: cpu) else { return nil }
        return expectedCore(for: cpu)
    }

    /// The status after the one-time selection; reading it runs the selection if no GEMM has yet.
    public static var status: OpenBLASCoreStatus { selected }

    /// Runs the selection (once per process). Called before the first GEMM.
    static func ensureSelected() { _ = selected }

    private static let selected: OpenBLASCoreStatus = {
        let status = select(cpu: .current, userCoreType: environmentCoreType())
        if case .uncorrectable(let reason) = status.action {
            let message =
                "attend: OpenBLAS runs \(status.activeCore) kernels on a CPU that runs \(status.expectedCore ?? "?") "
                + "ones and could not be corrected (\(reason)); GEMMs will be several times slower. "
                + "Set OPENBLAS_CORETYPE=\(status.expectedCore ?? "Haswell") or use a DYNAMIC_ARCH OpenBLAS.\n"
            _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
        return status
    }()

    /// Compares OpenBLAS's current core with `cpu` and corrects a fallback (the one code path
    /// for the first GEMM and for ``verifyCorrection(from:)``).
    static func select(cpu: CPUFeatures, userCoreType: String?) -> OpenBLASCoreStatus {
        let reported = currentCore()
        let expected = expectedCore(for: cpu)
        var requested: String?
        func status(_ action: OpenBLASCoreStatus.Action) -> OpenBLASCoreStatus {
            OpenBLASCoreStatus(
                detectedCore: reported, expectedCore: expected, requestedCore: requested, activeCore: currentCore(),
                action: action,
                config: config())
        }
        if let userCoreType, !userCoreType.isEmpty { return status(.userChoice(userCoreType)) }
        guard correction(reported: reported, cpu: cpu, userCoreType: nil) != nil else { return status(.kept) }
        var refused: [String] = []
        for candidate in candidateCores(for: cpu) {
            requested = candidate
            guard let active = reinitialize(as: candidate) else {
                return status(
                    .uncorrectable("this OpenBLAS has no gotoblas_dynamic_init/quit (not a DYNAMIC_ARCH build)"))
            }
            if active.lowercased() == candidate.lowercased() { return status(.corrected) }
            refused.append("\(candidate) (it reported \(active))")
        }
        _ = reinitialize(as: nil)
        return status(.uncorrectable("OpenBLAS did not accept OPENBLAS_CORETYPE=\(refused.joined(separator: ", "))"))
    }

    /// Re-runs OpenBLAS's kernel selection with `OPENBLAS_CORETYPE` = `core` (nil: unset, OpenBLAS's
    /// own detection), then restores the environment. Returns the core OpenBLAS reports afterwards,
    /// or nil when this OpenBLAS lacks the entry points. No other thread may be inside OpenBLAS.
    static func reinitialize(as core: String?) -> String? {
        guard let entry = dynamicEntryPoints else { return nil }
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        if let core { setenv("OPENBLAS_CORETYPE", core, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        entry.quit()
        entry.initialize()
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        return currentCore()
    }

    private typealias EntryPoint = @convention(c) () -> Void

    /// `gotoblas_dynamic_quit` and `gotoblas_dynamic_init`, when this OpenBLAS exports them.
    private static let dynamicEntryPoints: (quit: EntryPoint, initialize: EntryPoint)? = {
        let everywhere = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT on glibc
        guard let quit = dlsym(everywhere, "gotoblas_dynamic_quit"),
            let initialize = dlsym(everywhere, "gotoblas_dynamic_init")
        else {
            return nil
        }
        return (unsafeBitCast(quit, to: EntryPoint.self), unsafeBitCast(initialize, to: EntryPoint.self))
    }()

    static func currentCore() -> String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    static func config() -> String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }

    static func environmentCoreType() -> String? {
        getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
    }

    // MARK: - Demonstrating the correction on a machine that does not need it

    /// One step of ``verifyCorrection(from:)``.
    public struct CorrectionStep: Sendable {
        /// What was done (`forced Prescott`, `Attend's correction`, `restored`).
        public let label: String
        /// `openblas_get_corename()` afterwards.
        public let core: String
        /// Largest |C − C_exact| of a 96×80×72 sgemm on small integers (exact in Float, so 0 when
        /// the kernels are right), computed against a plain triple loop.
        public let gemmError: Float
    }

    /// Proves the mechanism on this machine: re-initializes OpenBLAS on `fallback` through the same
    /// entry points (as a misdetecting OpenBLAS would start), runs Attend's selection exactly as the
    /// first GEMM does (user's `OPENBLAS_CORETYPE` ignored for the demonstration), then restores the
    /// core that was active before. Each step checks a GEMM. Nil when the entry points are missing.
    ///
    /// For `attend doctor --check-correction`. No other thread may use OpenBLAS meanwhile.
    public static func verifyCorrection(from fallback: String = "Prescott") -> (
        steps: [CorrectionStep], selection: OpenBLASCoreStatus
    )? {
        ensureSelected()
        let before = currentCore()
        guard let forced = reinitialize(as: fallback) else { return nil }
        var steps = [CorrectionStep(label: "forced \(fallback)", core: forced, gemmError: gemmCheck())]
        let selection = select(cpu: .current, userCoreType: nil)
        steps.append(CorrectionStep(label: "Attend's correction", core: selection.activeCore, gemmError: gemmCheck()))
        let restored = reinitialize(as: before) ?? currentCore()
        steps.append(CorrectionStep(label: "restored", core: restored, gemmError: gemmCheck()))
        return (steps, selection)
    }

    /// max |C − exact| for C = A·B, A [96, 72], B [72, 80] with entries in −6…6: every product and
    /// partial sum is an integer below 2²⁴, so any correct kernel gives exactly the triple loop's result.
    static func gemmCheck() -> Float {
        let (m, n, k) = (96, 80, 72)
        let a = (0..<m * k).map { Float(($0 * 31 + 7) % 13 - 6) }
        let b = (0..<k * n).map { Float(($0 * 17 + 5) % 11 - 5) }
        var c = [Float](repeating: .nan, count: m * n)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c,
            Int32(n))
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var exact: Float = 0
                for p in 0..<k { exact += a[i * k + p] * b[p * n + j] }
                let error = Swift.abs(c[i * n + j] - exact)
                worst = error.isNaN ? .infinity : Swift.max(worst, error)
            }
        }
        return worst
    }
}

extension Parallelism {
    /// The number of threads OpenBLAS uses inside one of Attend's GEMMs
    /// (`openblas_get_num_threads()`): 1, since Attend parallelizes around OpenBLAS (see
    /// ``Parallelism``). Reading it makes the same one-time setup as Attend's first GEMM, so the
    /// answer does not depend on whether a GEMM has run yet.
    public static var openBLASThreadsPerCall: Int {
        OpenBLASThreads.useOne()
        return Int(openblas_get_num_threads())
    }
}

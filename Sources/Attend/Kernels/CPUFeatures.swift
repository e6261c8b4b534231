import _AttendKernels

/// What this CPU can run, as CPUID reports it — with AVX, AVX2, FMA and AVX-512 counted only when
/// the operating system also enables their register state (XCR0, read by XGETBV), so a feature
/// listed here can be used without faulting.
///
/// ```swift
/// let cpu = CPUFeatures.current
/// print(cpu.brand, cpu.isaNames)   // "AMD EPYC 7B13" ["sse2", …, "avx2", "fma"]
/// ```
///
/// Read once per process (``current``). The detection is in `_AttendKernels/cpu_features.c`.
public struct CPUFeatures: Sendable, Equatable {
    /// The vendor string: `GenuineIntel`, `AuthenticAMD`, … (empty off x86).
    public let vendor: String
    /// The processor brand string (empty when the CPU has none).
    public let brand: String
    /// Display family and model (base plus extended fields) and stepping.
    public let family: Int, model: Int, stepping: Int
    /// The SSE family as CPUID leaf 1 reports it (SSE2 is always there on x86-64; SSE4.1 and 4.2 as `sse41`, `sse42`).
    public let sse2: Bool, sse3: Bool, ssse3: Bool, sse41: Bool, sse42: Bool
    /// Present and enabled by the OS (YMM state).
    public let avx: Bool, avx2: Bool, fma: Bool
    /// Half-precision conversions (`vcvtph2ps`; YMM state): the kernel family's block scales.
    public let f16c: Bool
    /// Present and enabled by the OS (opmask and ZMM state).
    public let avx512f: Bool, avx512cd: Bool, avx512bw: Bool, avx512dq: Bool, avx512vl: Bool

    /// A feature set, for tests and for reasoning about other machines (all flags default to false).
    init(
        vendor: String = "", brand: String = "", family: Int = 0, model: Int = 0, stepping: Int = 0,
        sse2: Bool = false, sse3: Bool = false, ssse3: Bool = false, sse41: Bool = false, sse42: Bool = false,
        avx: Bool = false, avx2: Bool = false, fma: Bool = false, f16c: Bool = false,
        avx512f: Bool = false, avx512cd: Bool = false, avx512bw: Bool = false, avx512dq: Bool = false,
        avx512vl: Bool = false
    ) {
        (self.vendor, self.brand, self.family, self.model, self.stepping) = (vendor, brand, family, model, stepping)
        (self.sse2, self.sse3, self.ssse3, self.sse41, self.sse42) = (sse2, sse3, ssse3, sse41, sse42)
        (self.avx, self.avx2, self.fma, self.f16c) = (avx, avx2, fma, f16c)
        (self.avx512f, self.avx512cd, self.avx512bw, self.avx512dq, self.avx512vl) = (
            avx512f, avx512cd, avx512bw, avx512dq, avx512vl
        )
    }

    /// This machine's CPU (CPUID + XGETBV, read once).
    public static let current: CPUFeatures = {
        var raw = attend_cpu_features()
        attend_cpu_features_detect(&raw)
        func string<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return CPUFeatures(
            vendor: string(raw.vendor), brand: string(raw.brand),
            family: Int(raw.family), model: Int(raw.model), stepping: Int(raw.stepping),
            sse2: raw.sse2, sse3: raw.sse3, ssse3: raw.ssse3, sse41: raw.sse41, sse42: raw.sse42,
            avx: raw.avx, avx2: raw.avx2, fma: raw.fma, f16c: raw.f16c,
            avx512f: raw.avx512f, avx512cd: raw.avx512cd, avx512bw: raw.avx512bw, avx512dq: raw.avx512dq,
            avx512vl: raw.avx512vl)
    }()

    /// AVX2 and FMA both usable: what Attend's AVX2 kernels and OpenBLAS's Haswell kernels need.
    public var hasAVX2FMA: Bool { avx2 && fma }

    /// The AVX-512 subsets Skylake-SP introduced (F, CD, BW, DQ, VL) all usable: what OpenBLAS's
    /// SkylakeX kernels may use.
    public var hasAVX512Skylake: Bool { avx512f && avx512cd && avx512bw && avx512dq && avx512vl }

    /// The usable instruction sets, lowercase as in /proc/cpuinfo (`sse4_1`, `avx512f`, …).
    public var isaNames: [String] {
        [
            ("sse2", sse2), ("sse3", sse3), ("ssse3", ssse3), ("sse4_1", sse41), ("sse4_2", sse42),
            ("avx", avx), ("avx2", avx2), ("fma", fma),
            ("avx512f", avx512f), ("avx512cd", avx512cd), ("avx512bw", avx512bw), ("avx512dq", avx512dq),
            ("avx512vl", avx512vl),
        ].filter(\.1).map(\.0)
    }

    /// One line: `AMD EPYC 7B13 (AuthenticAMD family 25 model 1 stepping 1)`.
    public var summary: String {
        let name = brand.isEmpty ? "unknown CPU" : brand
        return vendor.isEmpty ? name : "\(name) (\(vendor) family \(family) model \(model) stepping \(stepping))"
    }
}

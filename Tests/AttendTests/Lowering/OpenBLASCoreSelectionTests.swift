import CBLAS
import Foundation
import Testing

@testable import Attend

/// Feature sets of real CPU generations, as CPUID + XGETBV would report them.
enum CPUGeneration {
    static let sse = CPUFeatures(sse2: true, sse3: true)
    /// Nehalem: SSE4.2, no AVX.
    static let nehalem = CPUFeatures(sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true)
    /// Sandy Bridge: AVX without AVX2 or FMA.
    static let sandyBridge = CPUFeatures(sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true, avx: true)
    /// Haswell, Zen 1–3: AVX2 + FMA (and F16C).
    static let haswell = CPUFeatures(
        sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true, avx: true, avx2: true, fma: true, f16c: true)
    /// Skylake-SP … Sapphire/Emerald Rapids, Zen 4: the Skylake AVX-512 subsets.
    static let skylakeX = CPUFeatures(
        sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true, avx: true, avx2: true, fma: true, f16c: true,
        avx512f: true, avx512cd: true, avx512bw: true, avx512dq: true, avx512vl: true)
    /// Knights Landing: AVX-512 F and CD only (no BW, DQ, VL), which SkylakeX kernels may use.
    static let knightsLanding = CPUFeatures(
        sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true, avx: true, avx2: true, fma: true, f16c: true,
        avx512f: true, avx512cd: true)
    /// AVX2 without FMA (no shipping CPU, but the two flags are separate).
    static let avx2WithoutFMA = CPUFeatures(
        sse2: true, sse3: true, ssse3: true, sse41: true, sse42: true, avx: true, avx2: true, f16c: true)
}

@Suite("OpenBLAS core selection")
struct OpenBLASCoreSelectionTests {
    @Test(
        "CPUID → expected core: Skylake AVX-512 → SkylakeX, AVX2 + FMA → Haswell, anything less → none",
        arguments: [
            (CPUGeneration.skylakeX, "SkylakeX"),
            (CPUGeneration.knightsLanding, "Haswell"),
            (CPUGeneration.haswell, "Haswell"),
            (CPUGeneration.avx2WithoutFMA, nil),
            (CPUGeneration.sandyBridge, nil),
            (CPUGeneration.nehalem, nil),
            (CPUGeneration.sse, nil),
        ] as [(CPUFeatures, String?)])
    func expectedCore(cpu: CPUFeatures, expected: String?) {
        #expect(OpenBLASCoreSelection.expectedCore(for: cpu) == expected, "\(cpu.isaNames)")
    }

    @Test(
        "the cores tried in place of a fallback, best first, are only ones the CPU runs",
        arguments: [
            (CPUGeneration.skylakeX, ["SkylakeX", "Haswell"]),
            (CPUGeneration.knightsLanding, ["Haswell"]),
            (CPUGeneration.haswell, ["Haswell"]),
            (CPUGeneration.avx2WithoutFMA, []),
            (CPUGeneration.sandyBridge, []),
        ] as [(CPUFeatures, [String])])
    func candidates(cpu: CPUFeatures, cores: [String]) {
        #expect(OpenBLASCoreSelection.candidateCores(for: cpu) == cores)
    }

    @Test(
        "a fallback is a pre-AVX2 core on a CPU with AVX2 + FMA; AVX2-class and unknown cores never are",
        arguments: [
            ("Prescott", CPUGeneration.skylakeX, true),
            ("prescott", CPUGeneration.haswell, true),
            ("Sandybridge", CPUGeneration.skylakeX, true),
            ("Nehalem", CPUGeneration.haswell, true),
            ("Core2", CPUGeneration.haswell, true),
            ("Atom", CPUGeneration.haswell, true),
            ("Katmai", CPUGeneration.haswell, true),
            ("Haswell", CPUGeneration.skylakeX, false),
            ("Zen", CPUGeneration.haswell, false),
            ("SkylakeX", CPUGeneration.skylakeX, false),
            ("Cooperlake", CPUGeneration.skylakeX, false),
            ("SapphireRapids", CPUGeneration.skylakeX, false),
            ("SomeFutureCore", CPUGeneration.haswell, false),
            ("Prescott", CPUGeneration.sandyBridge, false),
            ("Prescott", CPUGeneration.sse, false),
            ("Nehalem", CPUGeneration.nehalem, false),
        ] as [(String, CPUFeatures, Bool)])
    func fallback(core: String, cpu: CPUFeatures, isFallback: Bool) {
        #expect(OpenBLASCoreSelection.isFallback(core, on: cpu) == isFallback, "\(core) on \(cpu.isaNames)")
    }

    @Test(
        "the correction replaces a fallback with the expected core and never runs when OPENBLAS_CORETYPE is set",
        arguments: [
            ("Prescott", CPUGeneration.skylakeX, nil, "SkylakeX"),
            ("Prescott", CPUGeneration.skylakeX, "", "SkylakeX"),
            ("Sandybridge", CPUGeneration.haswell, nil, "Haswell"),
            ("Prescott", CPUGeneration.knightsLanding, nil, "Haswell"),
            ("Prescott", CPUGeneration.skylakeX, "Prescott", nil),
            ("Prescott", CPUGeneration.skylakeX, "Haswell", nil),
            ("Zen", CPUGeneration.haswell, nil, nil),
            ("Haswell", CPUGeneration.skylakeX, nil, nil),
            ("Prescott", CPUGeneration.sandyBridge, nil, nil),
        ] as [(String, CPUFeatures, String?, String?)])
    func correction(reported: String, cpu: CPUFeatures, user: String?, expected: String?) {
        #expect(OpenBLASCoreSelection.correction(reported: reported, cpu: cpu, userCoreType: user) == expected)
    }

    @Test(
        "after Attend's first GEMM the active OpenBLAS core is not a fallback for this CPU (or is the user's OPENBLAS_CORETYPE)"
    )
    func activeCoreAfterFirstGEMM() throws {
        var generator = SeededGenerator(seed: 3)
        _ = try matmul(
            Tensor<Float>.randn([64, 64], using: &generator), Tensor<Float>.randn([64, 64], using: &generator))
        let status = OpenBLASCoreSelection.status
        let reported = String(cString: openblas_get_corename())
        #expect(status.activeCore == reported)
        #expect(status.config.hasPrefix("OpenBLAS "), "\(status.config)")
        if let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !user.isEmpty {
            #expect(status.action == .userChoice(user))
            #expect(reported.lowercased() == user.lowercased(), "OpenBLAS runs \(reported), the user asked for \(user)")
        } else {
            #expect(
                !OpenBLASCoreSelection.isFallback(reported, on: .current),
                "OpenBLAS runs \(reported) on \(CPUFeatures.current.isaNames)")
            #expect(status.action == .kept || status.action == .corrected, "\(status.action)")
            if CPUFeatures.current.hasAVX2FMA {
                #expect(
                    ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"].contains(reported.lowercased()),
                    "\(reported)")
            }
        }
        #expect(Parallelism.openBLASThreadsPerCall == 1)
    }
}

@Suite("CPU features")
struct CPUFeaturesTests {
    /// The `flags` and the family/model lines of /proc/cpuinfo: the kernel's own CPUID + XCR0 reading.
    static func procCPUInfo() -> (flags: Set<String>, family: Int?, model: Int?)? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        func value(_ key: String) -> String? {
            lines.first {
                $0.hasPrefix(key) && $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) == key
            }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let flags = value("flags") else { return nil }
        return (
            Set(flags.split(separator: " ").map(String.init)), value("cpu family").flatMap { Int($0) },
            value("model").flatMap { Int($0) }
        )
    }

    @Test("CPUID + XGETBV agree with the kernel's /proc/cpuinfo on the ISA flags, the family and the model")
    func matchesProcCPUInfo() throws {
        guard let info = Self.procCPUInfo() else { return }  // not Linux/x86: nothing to compare with
        let cpu = CPUFeatures.current
        for (name, ours) in [
            ("sse2", cpu.sse2), ("ssse3", cpu.ssse3), ("sse4_1", cpu.sse41), ("sse4_2", cpu.sse42), ("avx", cpu.avx),
            ("avx2", cpu.avx2),
            ("fma", cpu.fma), ("avx512f", cpu.avx512f), ("avx512bw", cpu.avx512bw), ("avx512dq", cpu.avx512dq),
            ("avx512vl", cpu.avx512vl),
        ] {
            #expect(
                ours == info.flags.contains(name),
                "\(name): CPUID says \(ours), /proc/cpuinfo says \(info.flags.contains(name))")
        }
        #expect(cpu.family == info.family)
        #expect(cpu.model == info.model)
        #expect(!cpu.vendor.isEmpty)
    }

    @Test("isaNames lists exactly the usable sets")
    func isaNames() {
        #expect(CPUGeneration.haswell.isaNames == ["sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma"])
        #expect(CPUGeneration.sse.isaNames == ["sse2", "sse3"])
    }
}

import Testing

@testable import Attend

@Suite("Kernel path selection")
struct KernelPathTests {
    @Test("without a request the best supported path is chosen; ATTEND_PORTABLE_KERNELS=1 means portable")
    func defaults() {
        var warnings: [String] = []
        #expect(
            KernelPath.resolve(requested: nil, portableAlias: nil, supported: [.avx2, .portable]) {
                warnings.append($0)
            }.path == .avx2)
        #expect(
            KernelPath.resolve(requested: nil, portableAlias: nil, supported: [.portable]) { warnings.append($0) }.path
                == .portable)
        #expect(
            KernelPath.resolve(requested: nil, portableAlias: "1", supported: [.avx2, .portable]) {
                warnings.append($0)
            }.path == .portable)
        #expect(
            KernelPath.resolve(requested: "", portableAlias: nil, supported: [.avx2, .portable]) { warnings.append($0) }
                .path == .avx2)
        #expect(warnings.isEmpty)
    }

    @Test("ATTEND_KERNELS forces a supported path and wins over the alias")
    func forced() {
        var warnings: [String] = []
        #expect(
            KernelPath.resolve(requested: "portable", portableAlias: nil, supported: [.avx2, .portable]) {
                warnings.append($0)
            }.path == .portable)
        #expect(
            KernelPath.resolve(requested: "AVX2", portableAlias: "1", supported: [.avx2, .portable]) {
                warnings.append($0)
            }.path == .avx2)
        #expect(warnings.isEmpty)
    }

    @Test(
        "a path the CPU or build cannot run falls back to the best one with one message naming the request",
        arguments: [
            ("avx2", "lacks AVX2 + FMA"), ("avx512", "lacks AVX-512 F, BW, DQ and VL"), ("sse9", "not a kernel path"),
        ])
    func unavailable(request: String, reason: String) {
        var warnings: [String] = []
        let choice = KernelPath.resolve(requested: request, portableAlias: nil, supported: [.portable]) {
            warnings.append($0)
        }
        #expect(choice.path == .portable)
        #expect(warnings.count == 1)
        #expect(
            warnings.first?.contains("ATTEND_KERNELS=\(request)") == true && warnings.first?.contains(reason) == true,
            "\(warnings)")
        #expect(choice.reason == warnings.first)
    }

    @Test("the active path is one this CPU supports, and the portable path is always supported")
    func activeIsSupported() {
        #expect(KernelPath.supported.contains(KernelPath.active))
        #expect(KernelPath.supported.last == .portable)
        #expect(!KernelPath.selection.isEmpty)
    }

    @Test(
        "a path needs exactly its features: AVX-512 needs F, BW, DQ and VL with AVX2 + FMA + F16C; AVX2 needs AVX2, FMA and F16C"
    )
    func requirements() {
        let avx2 = CPUFeatures(avx: true, avx2: true, fma: true, f16c: true)
        let avx512 = CPUFeatures(
            avx: true, avx2: true, fma: true, f16c: true, avx512f: true, avx512cd: true, avx512bw: true,
            avx512dq: true, avx512vl: true)
        let avx512WithoutVL = CPUFeatures(
            avx: true, avx2: true, fma: true, f16c: true, avx512f: true, avx512bw: true, avx512dq: true)
        #expect(
            KernelPath.allCases.filter { $0.isSupported(on: CPUFeatures(avx: true, avx2: true, fma: true)) } == [
                .portable
            ])
        #expect(KernelPath.allCases.filter { $0.isSupported(on: avx512) } == [.avx512, .avx2, .portable])
        #expect(KernelPath.allCases.filter { $0.isSupported(on: avx512WithoutVL) } == [.avx2, .portable])
        #expect(KernelPath.allCases.filter { $0.isSupported(on: avx2) } == [.avx2, .portable])
        #expect(KernelPath.allCases.filter { $0.isSupported(on: CPUFeatures(avx2: true)) } == [.portable])
        #expect(KernelPath.allCases.filter { $0.isSupported(on: CPUFeatures()) } == [.portable])
    }

    @Test("a scoped path is what kernel calls see inside the scope, and the process's path outside it")
    func scoped() {
        let outside = KernelPath.active
        for path in KernelPath.supported {
            KernelPath.withKernels(path) { #expect(KernelPath.active == path) }
        }
        #expect(KernelPath.active == outside)
    }
}

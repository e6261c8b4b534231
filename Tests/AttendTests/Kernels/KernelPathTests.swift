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
        arguments: [("avx2", "lacks AVX2 + FMA"), ("avx512", "no AVX-512 kernels"), ("sse9", "not a kernel path")])
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

    @Test("the active path is one this CPU supports")
    func activeIsSupported() {
        #expect(KernelPath.supported.contains(KernelPath.active))
        #expect(!KernelPath.selection.isEmpty)
    }
}

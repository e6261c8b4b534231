import Foundation
import Testing

@testable import Attend

/// Resident memory of this process in bytes, from /proc/self/statm (second field, in pages).
func residentBytes() throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let fields = text.split(separator: " ")
    let pages = try #require(fields.count > 1 ? Int(fields[1]) : nil)
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("Memory growth")
struct MemoryGrowthTests {
    /// scripts/test runs this suite in a process of its own (`--filter MemoryGrowthTests`, after the
    /// rest skipped it): in the parallel run other suites map models and allocate inside the window
    /// (measured +71 to +287 MiB under load). The margin stays wide for runs of the whole suite;
    /// a leak of one SDPA output per call (128 KiB here) would grow the process by 125 MiB, and
    /// one of a fused score tile (256 KiB per worker) by 250 MiB.
    static let margin = 64 << 20

    /// Under AddressSanitizer freed memory sits in its quarantine (up to 256 MiB), so resident
    /// memory grows by design; leaks are then LeakSanitizer's to find (scripts/sanitize.sh).
    @Test(
        "1,000 repeated attention, MHA and encoder-layer calls do not grow resident memory",
        .disabled(
            if: ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil, "ASan's quarantine holds freed memory"),
        arguments: [
            AttentionWorkload.Op.fused, .materialized, .mha, .encoderLayer,
        ])
    func repeatedCalls(op: AttentionWorkload.Op) throws {
        var generator = SeededGenerator(seed: 21)
        let workload = try AttentionWorkload(seed: 21)
        // Large enough that a leaked output (128 KiB for SDPA) could not hide in the margin.
        let q = Tensor<Float>.randn([1, 4, 128, 64], using: &generator)
        func call() throws {
            switch op {
            case .fused, .materialized:
                _ = try scaledDotProductAttention(
                    queries: q, keys: q, values: q, algorithm: op == .fused ? .fused : .materialized)
            default:
                _ = try workload.run(op)
            }
        }
        for _ in 0..<50 { try call() }  // warm up: allocator arenas, OpenBLAS buffers, workers
        let before = try residentBytes()
        let calls = 1_000
        for _ in 0..<calls { try call() }
        let after = try residentBytes()
        #expect(
            after - before < Self.margin, "resident memory grew by \((after - before) >> 20) MiB over \(calls) calls")
    }
}

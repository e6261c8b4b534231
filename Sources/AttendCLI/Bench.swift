import ArgumentParser
import Attend
import Foundation

/// `attend bench`: the fixed attention grid, timed.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time SDPA, causal SDPA, decode (Lq = 1) and multi-head attention on a fixed grid of (B, H, L, D).",
        discussion: """
            Per case: median milliseconds of repeated runs after a warm-up, GFLOPS (SDPA: 4·B·H·L²·D; \
            causal: half; decode, one query against L keys: 4·B·H·L·D; MHA adds its four projections, \
            8·B·L·E²), the same as a percentage of the FMA peak of the worker threads measured in this run \
            for the kernel path that runs (%peak; ATTEND_KERNELS=avx512|avx2|portable picks the path; see \
            attend doctor) and of the sgemm GFLOPS measured in this run on a 2048³ matrix product (%sgemm), \
            and the process's peak resident memory so far (run one case with --case to get that case's \
            peak alone). Attention runs the fused tiled kernel. Compare against PyTorch and NumPy with \
            scripts/bench_side_by_side.py.
            """)

    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Timed runs per case (default: as many as fit in ~0.5 s, at least 3).") var repeats: Int?
    @Option(name: .customLong("case"), help: "Only cases whose name contains this (e.g. sdpa, causal, mha, 2048).")
    var filter: String?
    @Flag(help: "Skip the (1, 8, 16384, 64) long-sequence case.") var skipLong = false
    @Flag(help: "One JSON object per case per line instead of a table.") var json = false
    @Flag(help: "Skip the sgemm reference measurement (no %sgemm column); for scripts that measure it once.")
    var skipSgemm = false
    @Option(help: "Sentences (one a line) for the 'embed batch32x20' case instead of generated ones.") var embedBatch:
        String?
    @Option(help: "Sentences (one a line) for the 'embed mixed1000' case instead of generated ones.") var embedMixed:
        String?
    @Flag(help: "Skip the FMA peak measurement (no %peak column); for scripts that measure it once.") var skipPeak =
        false
    @Flag(help: "List the cases (one JSON object each: case, b, h, lq, l, d, name) without running them.") var list =
        false

    static let grid: [(b: Int, h: Int, l: Int, d: Int)] = [
        (2, 4, 10, 32), (32, 8, 10, 32), (1, 8, 128, 64), (4, 8, 256, 64), (2, 12, 512, 64),
        (1, 16, 1024, 64), (1, 8, 2048, 64), (1, 8, 4096, 64),
    ]

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        if list {
            for (kind, (b, h, l, d)) in cases() where filter.map({ Self.name(kind, b, h, l, d).contains($0) }) ?? true {
                print(
                    #"{"case":"\#(kind)","b":\#(b),"h":\#(h),"lq":\#(kind == "decode" ? 1 : l),"l":\#(l),"d":\#(d),"name":"\#(Self.name(kind, b, h, l, d))"}"#
                )
            }
            return
        }
        let sgemm = skipSgemm ? Double.nan : try Self.measureSGEMM()
        let peakPath = KernelPath.active
        let fmaPeak = skipPeak ? Double.nan : FMAPeak.gigaflops(peakPath, threads: Parallelism.threadCount)
        if !json {
            print("attend bench — \(Self.machine()), \(Parallelism.threadCount) threads, \(Self.today())")
            print(Doctor.oneLine())
            if !skipPeak {
                let cores = min(Parallelism.threadCount, ProcessInfo.processInfo.activeProcessorCount)
                print(
                    String(
                        format: "FMA peak (%@, %d core%@, thread CPU time): %.1f GFLOPS", peakPath.rawValue, cores,
                        cores == 1 ? "" : "s", fmaPeak))
            }
            if !skipSgemm { print(String(format: "sgemm 2048³: %.1f GFLOPS", sgemm)) }
            print(
                "case".padding(toLength: 30, withPad: " ", startingAt: 0)
                    + "      ms     GFLOPS   %peak  %sgemm   peak MB")
        } else {
            if !skipPeak {
                print(
                    #"{"case":"fma_peak","isa":"\#(peakPath.rawValue)","gflops":\#(fmaPeak),"threads":\#(Parallelism.threadCount)}"#
                )
            }
            if !skipSgemm {
                print(
                    #"{"case":"sgemm","m":2048,"n":2048,"k":2048,"gflops":\#(sgemm),"threads":\#(Parallelism.threadCount)}"#
                )
            }
        }
        for (kind, (b, h, l, d)) in cases() {
            let name = Self.name(kind, b, h, l, d)
            if let filter, !name.contains(filter) { continue }
            let fixedRepeats = l > 4096 ? 1 : 0
            let (milliseconds, flops) = try Self.time(
                kind: kind, b: b, h: h, l: l, d: d, repeats: fixedRepeats > 0 ? fixedRepeats : repeats)
            let gflops = flops / milliseconds / 1e6
            let peak = Self.peakResidentMegabytes()
            if json {
                let lq = kind == "decode" ? 1 : l
                print(
                    #"{"case":"\#(kind)","b":\#(b),"h":\#(h),"lq":\#(lq),"l":\#(l),"d":\#(d),"ms":\#(milliseconds),"gflops":\#(gflops),"percent_of_peak":\#(skipPeak ? "null" : String(100 * gflops / fmaPeak)),"percent_of_sgemm":\#(skipSgemm ? "null" : String(100 * gflops / sgemm)),"peak_rss_mb":\#(peak),"threads":\#(Parallelism.threadCount)}"#
                )
            } else {
                print(
                    name.padding(toLength: 30, withPad: " ", startingAt: 0)
                        + String(format: "%9.3f  %9.1f  ", milliseconds, gflops)
                        + (skipPeak ? "     —" : String(format: "%5.0f%%", 100 * gflops / fmaPeak)) + "  "
                        + (skipSgemm ? "     —" : String(format: "%5.0f%%", 100 * gflops / sgemm))
                        + String(format: "  %8.0f", peak))
            }
        }
        try runEncoderGEMMCases(fmaPeak: fmaPeak)  // Bench+EncoderGEMM.swift
        try runEmbeddingCases()  // Bench+Embedding.swift
    }

    /// The cases in order: the grid × (sdpa, causal, mha), the decode shapes, the long sequence.
    func cases() -> [(String, (Int, Int, Int, Int))] {
        var cases: [(String, (Int, Int, Int, Int))] = []
        for shape in Self.grid {
            for kind in ["sdpa", "causal", "mha"] { cases.append((kind, shape)) }
        }
        // Decode: one new query against a key/value history of L (text generation with a KV cache).
        for l in Self.decodeLengths { cases.append(("decode", (1, 8, l, 64))) }
        if !skipLong { cases.append(("sdpa", (1, 8, 16384, 64))) }
        return cases
    }

    /// `sdpa (2,4,10,32)`; decode cases show L, the key/value length (Lq = 1).
    static func name(_ kind: String, _ b: Int, _ h: Int, _ l: Int, _ d: Int) -> String {
        "\(kind) (\(b),\(h),\(l),\(d))"
    }

    /// Key/value history lengths of the decode cases (Lq = 1, H = 8, D = 64).
    static let decodeLengths = [512, 4096]

    /// Median ms of one case and its useful flop count (decode: Lq = 1, Lk = l).
    static func time(kind: String, b: Int, h: Int, l: Int, d: Int, repeats: Int?) throws -> (Double, Double) {
        var generator = SeededGenerator(seed: 1)
        let e = h * d
        let work: () throws -> Void
        var flops = 4 * Double(b * h) * Double(l) * Double(l) * Double(d)
        switch kind {
        case "mha":
            let layer = try MultiHeadAttention<Float>(embedDim: e, numHeads: h, using: &generator)
            let x = Tensor<Float>.randn([b, l, e], using: &generator)
            flops += 8 * Double(b * l) * Double(e) * Double(e)
            work = { _ = try layer(query: x, key: x, value: x) }
        default:
            let lq = kind == "decode" ? 1 : l
            let q = Tensor<Float>.randn([b, h, lq, d], using: &generator)  // [B, H, Lq, D]
            let k = Tensor<Float>.randn([b, h, l, d], using: &generator)
            let v = Tensor<Float>.randn([b, h, l, d], using: &generator)
            let mask: AttentionMask<Float> = kind == "causal" ? .causal : .none
            if kind == "causal" { flops /= 2 }
            if kind == "decode" { flops = 4 * Double(b * h) * Double(l) * Double(d) }
            work = { _ = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask) }
        }
        return (try medianSeconds(repeats: repeats, atLeast: 3, work) * 1000, flops)
    }

    /// The median seconds of `work` after one warm-up run: `repeats` runs, or (nil) at least
    /// `atLeast` and as many more as fit in ~0.5 s, at most 200.
    static func medianSeconds(repeats: Int?, atLeast: Int, _ work: () throws -> Void) rethrows -> Double {
        try work()  // warm-up
        var samples: [Double] = []
        var spent = 0.0
        while samples.count < (repeats ?? atLeast) || (repeats == nil && spent < 0.5 && samples.count < 200) {
            let start = DispatchTime.now().uptimeNanoseconds
            try work()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            samples.append(seconds)
            spent += seconds
        }
        return samples.sorted()[samples.count / 2]
    }

    /// GFLOPS of a 2048³ Float matrix product in this process (median of 3).
    static func measureSGEMM() throws -> Double {
        var generator = SeededGenerator(seed: 2)
        let a = Tensor<Float>.randn([2048, 2048], using: &generator)
        let b = Tensor<Float>.randn([2048, 2048], using: &generator)
        _ = try matmul(a, b)
        var samples: [Double] = []
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try matmul(a, b)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * pow(2048, 3) / samples.sorted()[1] / 1e9
    }

    /// The process's peak resident set (VmHWM in /proc/self/status). Not getrusage's ru_maxrss:
    /// Linux carries that across fork and exec, so a child started by a large parent (the
    /// side-by-side script) would report the parent's peak.
    static func peakResidentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }

    static func machine() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return "\(model ?? "unknown CPU"), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }
}

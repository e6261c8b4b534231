import ArgumentParser
import Attend
import Foundation

/// `attend doctor`: what a user needs to know when Attend seems slow — the CPU and the
/// instruction sets it runs, OpenBLAS's version, build and kernel core (and whether Attend
/// corrected a fallback), Attend's own kernel path, the thread settings, and the FMA peak
/// measured here.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CPU, OpenBLAS kernels, Attend's kernel path, threads and the measured FMA peak.",
        discussion: """
            Runs one small GEMM first, so what it reports is the state of any Attend process after \
            its first op: OpenBLAS's kernel core checked against CPUID (a pre-AVX2 core such as Prescott \
            on a CPU with AVX2 + FMA or AVX-512 is a fallback, which Attend corrects to Haswell or \
            SkylakeX unless OPENBLAS_CORETYPE is set — the user's choice always wins), and OpenBLAS at \
            one thread per call.

            Attend's kernels: one source compiled per instruction set, run on one of the paths avx512, \
            avx2, portable — the best this CPU supports, or the one ATTEND_KERNELS=avx512|avx2|portable \
            names (a path this CPU lacks falls back to the best one, with a message on stderr).

            FMA peak: a register-only multiply-add loop per kernel path (_AttendKernels/fma_peak_*.c), \
            timed on the thread's CPU time (best of 5 runs of 20 ms), per core for every supported path \
            and on the worker threads at once for the active path: the peak attend bench compares with.

            --check-correction proves the correction works on this machine even when OpenBLAS chose \
            right: it re-initializes OpenBLAS on Prescott kernels, runs Attend's correction, then \
            restores the previous core, checking an exact GEMM at each step. Exit status 1 if a step fails.
            """)

    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "One JSON object instead of the report.") var json = false
    @Flag(help: "Skip the FMA peak measurement (about a second).") var skipPeak = false
    @Flag(
        name: .customLong("check-correction"),
        help: "Force OpenBLAS onto Prescott kernels, correct it, restore; check a GEMM each time.")
    var checkCorrection = false

    func run() throws {
        if let threads {
            guard threads >= 1 else {
                throw CLIError("attend doctor: --threads \(threads): expected at least 1 thread")
            }
            Parallelism.threadCount = threads
        }
        // The first GEMM: the core check and OpenBLAS's thread setting happen here, as in any run.
        var generator = SeededGenerator(seed: 0)
        _ = try matmul(Tensor<Float>.randn([8, 8], using: &generator), Tensor<Float>.randn([8, 8], using: &generator))
        let cpu = CPUFeatures.current
        let status = OpenBLASCoreSelection.status
        let workers = Parallelism.threadCount
        let peakPath = KernelPath.active
        let peaks: [(KernelPath, Double)] =
            skipPeak ? [] : KernelPath.supported.map { ($0, FMAPeak.gigaflopsPerCore($0)) }
        let peakWorkers = skipPeak ? Double.nan : FMAPeak.gigaflops(peakPath, threads: workers)
        let check = checkCorrection ? OpenBLASCoreSelection.verifyCorrection() : nil
        let expected = OpenBLASCoreSelection.status.expectedCore
        let checkPassed = check.map { result in
            result.steps.allSatisfy { $0.gemmError == 0 } && result.steps.count == 3
                && result.steps[0].core.lowercased() == "prescott"
                && (expected == nil || result.steps[1].core.lowercased() == expected!.lowercased())
                && result.steps[2].core == status.activeCore
        }

        if json {
            var object: [String: Any] = [
                "cpu": cpu.brand, "vendor": cpu.vendor, "family": cpu.family, "model": cpu.model,
                "stepping": cpu.stepping,
                "cores": ProcessInfo.processInfo.activeProcessorCount, "isa": cpu.isaNames,
                "openblas_version": orNull(status.version), "openblas_config": status.config,
                "openblas_core": status.activeCore, "openblas_detected_core": status.detectedCore,
                "openblas_expected_core": orNull(status.expectedCore),
                "openblas_requested_core": orNull(status.requestedCore),
                "openblas_action": Self.actionName(status.action),
                "openblas_corrected": status.corrected, "openblas_core_is_fallback": status.activeCoreIsFallback,
                "openblas_coretype_env": orNull(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]),
                "kernel_path": KernelPath.active.rawValue, "workers": workers,
                "openblas_threads": Parallelism.openBLASThreadsPerCall,
                "peak_isa": peakPath.rawValue,
                "peak_gflops_per_core": orNull(peaks.first { $0.0 == peakPath }?.1),
                "peak_gflops_workers": orNull(peakWorkers.isFinite ? peakWorkers : nil),
                "peak_gflops_per_core_by_isa": Dictionary(uniqueKeysWithValues: peaks.map { ($0.0.rawValue, $0.1) }),
            ]
            if let check, let checkPassed {
                object["correction_check"] = [
                    "passed": checkPassed,
                    "steps": check.steps.map {
                        ["step": $0.label, "core": $0.core, "gemm_max_error": Double($0.gemmError)]
                    },
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                Self.report(
                    cpu: cpu, status: status, workers: workers, peakPath: peakPath, peaks: peaks,
                    peakWorkers: peakWorkers
                ))
            if let check, let checkPassed {
                print(
                    "correction check (OpenBLAS re-initialized through gotoblas_dynamic_quit/init, exact 96×80×72 sgemm each step):"
                )
                for step in check.steps {
                    print(
                        "  \(step.label.padding(toLength: 20, withPad: " ", startingAt: 0)) core \(step.core.padding(toLength: 12, withPad: " ", startingAt: 0)) sgemm max error \(step.gemmError)"
                    )
                }
                print(
                    "  \(checkPassed ? "PASS" : "FAIL"): Attend's selection \(Self.actionName(check.selection.action)) \(check.selection.detectedCore) → \(check.selection.activeCore)"
                )
            }
        }
        if checkCorrection, check == nil {
            StandardError.writeLine(
                "attend doctor: --check-correction: this OpenBLAS has no gotoblas_dynamic_quit/init (not a DYNAMIC_ARCH build)"
            )
            throw ExitCode(1)
        }
        if checkPassed == false { throw ExitCode(1) }
    }

    /// A JSON value: the value, or null.
    private func orNull<T>(_ value: T?) -> Any { value.map { $0 as Any } ?? NSNull() }

    static func actionName(_ action: OpenBLASCoreStatus.Action) -> String {
        switch action {
        case .kept: "kept"
        case .corrected: "corrected"
        case .userChoice: "user-choice"
        case .uncorrectable: "uncorrectable"
        }
    }

    /// The human-readable report.
    static func report(
        cpu: CPUFeatures, status: OpenBLASCoreStatus, workers: Int, peakPath: KernelPath,
        peaks: [(KernelPath, Double)], peakWorkers: Double
    ) -> String {
        let environment = ProcessInfo.processInfo.environment
        let cores = ProcessInfo.processInfo.activeProcessorCount
        func row(_ label: String, _ value: String) -> String {
            label.padding(toLength: 18, withPad: " ", startingAt: 0) + value
        }
        var lines = ["attend doctor"]
        lines.append(row("CPU", "\(cpu.summary), \(cores) cores"))
        lines.append(row("ISA", cpu.isaNames.joined(separator: " ") + (cpu.avx512f ? "" : " (no AVX-512)")))
        lines.append(row("OpenBLAS", status.config))
        let expected =
            status.expectedCore.map { "\($0)-class (from CPUID)" } ?? "none (no AVX2 + FMA: OpenBLAS's choice stands)"
        lines.append(
            row("  core", "\(status.activeCore); expected \(expected); OpenBLAS detected \(status.detectedCore)"))
        let verdict: String
        switch status.action {
        case .kept: verdict = "kept — OpenBLAS's own choice is not a fallback"
        case .corrected:
            verdict =
                "CORRECTED by Attend: \(status.detectedCore) → \(status.activeCore) (OpenBLAS had fallen back to pre-AVX2 kernels)"
        case .userChoice(let value):
            verdict =
                "OPENBLAS_CORETYPE=\(value) is set: the user's choice, left alone"
                + (status.activeCoreIsFallback
                    ? " — it is a pre-AVX2 core on this CPU; unset it for \(status.expectedCore ?? "faster") kernels"
                    : "")
        case .uncorrectable(let reason): verdict = "FALLBACK, not corrected: \(reason)"
        }
        lines.append(row("  Attend", verdict))
        lines.append(
            row(
                "Attend kernels",
                "\(KernelPath.active) (\(KernelPath.selection)); supported: \(KernelPath.supported.map(\.rawValue).joined(separator: ", "))"
            ))
        lines.append(
            row(
                "Threads",
                "Attend workers \(workers) (cores \(cores)); OpenBLAS \(Parallelism.openBLASThreadsPerCall) thread per call (Attend parallelizes around it)"
            ))
        let variables = [
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "ATTEND_KERNELS", "ATTEND_PORTABLE_KERNELS",
        ]
        let set = variables.compactMap { name in environment[name].map { "\(name)=\($0)" } }
        lines.append(
            row(
                "Environment",
                set.isEmpty ? "none of \(variables.joined(separator: ", ")) set" : set.joined(separator: " ")))
        if peaks.isEmpty {
            lines.append(row("FMA peak", "skipped"))
        } else {
            let perCore = peaks.map { String(format: "%@ %.1f", $0.0.rawValue, $0.1) }.joined(separator: ", ")
            lines.append(row("FMA peak", "per core (GFLOPS, thread CPU time): \(perCore)"))
            lines.append(
                row(
                    "",
                    String(
                        format: "%@ on %d worker%@ at once: %.1f GFLOPS (the benchmark's 100%%)",
                        peakPath.rawValue, min(workers, cores), min(workers, cores) == 1 ? "" : "s", peakWorkers)))
        }
        return lines.joined(separator: "\n")
    }

    /// One line for the headers of `attend bench` and `attend compare`:
    /// `AMD EPYC, 2 cores · avx2 fma · kernels avx2+fma · OpenBLAS 0.3.21 core Zen (kept) · 2 workers`.
    static func oneLine() -> String {
        let cpu = CPUFeatures.current
        let isa = cpu.avx512f ? "avx512" : cpu.hasAVX2FMA ? "avx2+fma" : cpu.avx ? "avx" : "sse"
        return
            "\(cpu.brand.isEmpty ? "unknown CPU" : cpu.brand), \(ProcessInfo.processInfo.activeProcessorCount) cores · ISA \(isa) · "
            + "kernels \(KernelPath.active.rawValue) · \(OpenBLASCoreSelection.status.summary) · \(Parallelism.threadCount) workers"
    }
}

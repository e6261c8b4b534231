import Attend
import Foundation
import Testing

@Suite("attend doctor")
struct DoctorTests {
    private func object(_ outcome: AttendTool.Outcome) throws -> [String: Any] {
        let line = try #require(outcome.stdoutLines.first, "\(outcome)")
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any], "not a JSON object: \(line)")
    }

    /// /proc/cpuinfo's flags: the kernel's view of what the CPU runs (nil off Linux x86).
    private var kernelFlags: Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        return Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
    }

    @Test(
        "doctor reports the CPU's ISA as the kernel sees it, an OpenBLAS core that is no fallback, one OpenBLAS thread and a positive FMA peak"
    )
    func report() throws {
        let outcome = try AttendTool.run(["doctor", "--json", "--threads", "2"])
        #expect(outcome.status == 0, "\(outcome)")
        let doctor = try object(outcome)
        let isa = Set(doctor["isa"] as? [String] ?? [])
        if let flags = kernelFlags {
            for name in ["avx2", "fma", "avx512f"] { #expect(isa.contains(name) == flags.contains(name), "\(name)") }
        }
        let core = try #require(doctor["openblas_core"] as? String)
        #expect((doctor["openblas_config"] as? String)?.contains(core) == true, "the config string names the core")
        #expect(doctor["openblas_threads"] as? Int == 1)
        #expect(doctor["workers"] as? Int == 2)
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            #expect(doctor["openblas_core_is_fallback"] as? Bool == false, "\(doctor)")
        }
        let peak = try #require(doctor["peak_gflops_per_core"] as? Double)
        let all = try #require(doctor["peak_gflops_workers"] as? Double)
        #expect(peak > 1 && all >= 0.5 * peak, "per core \(peak), workers \(all)")
        // The benchmark's peak is the active kernel path's; every supported path has a per-core peak.
        #expect(["avx512", "avx2", "portable"].contains(doctor["peak_isa"] as? String ?? ""))
        #expect(doctor["peak_isa"] as? String == doctor["kernel_path"] as? String, "\(doctor)")
        let byPath = try #require(doctor["peak_gflops_per_core_by_isa"] as? [String: Double])
        #expect(Set(byPath.keys) == Set(KernelPath.supported.map(\.rawValue)), "\(byPath)")
        #expect(byPath[doctor["peak_isa"] as? String ?? ""] == peak)
    }

    @Test(
        "ATTEND_KERNELS picks the peak too: doctor and bench measure against the peak of the path that runs, and doctor lists ATTEND_KERNELS"
    )
    func peakFollowsKernelPath() throws {
        let doctor = try object(
            try AttendTool.run(["doctor", "--json", "--threads", "1"], environment: ["ATTEND_KERNELS": "portable"]))
        #expect(
            doctor["kernel_path"] as? String == "portable" && doctor["peak_isa"] as? String == "portable", "\(doctor)")
        let bench = try AttendTool.run(
            ["bench", "--json", "--case", "decode (1,8,512,", "--repeats", "1", "--skip-sgemm", "--skip-long"],
            environment: ["ATTEND_KERNELS": "portable"])
        #expect(bench.status == 0, "\(bench)")
        let peak = try #require(
            bench.stdoutLines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }.first { $0["case"] as? String == "fma_peak" })
        #expect(peak["isa"] as? String == "portable", "\(peak)")
        let text = try AttendTool.run(["doctor", "--skip-peak"], environment: ["ATTEND_KERNELS": "portable"])
        let environmentLine = text.stdoutLines.first { $0.hasPrefix("Environment") } ?? ""
        #expect(environmentLine.contains("ATTEND_KERNELS=portable"), "\(text)")
    }

    @Test(
        "doctor --check-correction forces OpenBLAS onto Prescott, Attend corrects it to the CPUID core, the previous core comes back, every GEMM exact"
    )
    func correction() throws {
        let outcome = try AttendTool.run(["doctor", "--json", "--skip-peak", "--check-correction"])
        let doctor = try object(outcome)
        guard (doctor["openblas_config"] as? String)?.contains("DYNAMIC_ARCH") == true else {
            #expect(outcome.status == 1, "a fixed-core OpenBLAS cannot be re-initialized: \(outcome)")
            return
        }
        #expect(outcome.status == 0, "\(outcome)")
        let check = try #require(doctor["correction_check"] as? [String: Any])
        let steps = try #require(check["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? String } == ["forced Prescott", "Attend's correction", "restored"])
        let cores = steps.map { ($0["core"] as? String ?? "").lowercased() }
        #expect(cores.first == "prescott")
        let expected = (doctor["openblas_expected_core"] as? String)?.lowercased()
        #expect(cores.dropFirst().first == (expected ?? "prescott"), "\(cores) (expected \(expected ?? "none"))")
        #expect(cores.last == (doctor["openblas_core"] as? String)?.lowercased())
        for step in steps { #expect(step["gemm_max_error"] as? Double == 0, "\(step)") }
        #expect(check["passed"] as? Bool == true)
    }

    @Test(
        "bench runs the decode shapes (Lq = 1 against 512 and 4096 keys) with a percentage of the FMA peak, and names the OpenBLAS core in its header"
    )
    func benchDecode() throws {
        let json = try AttendTool.run([
            "bench", "--json", "--case", "decode", "--repeats", "1", "--skip-sgemm", "--skip-long",
        ])
        #expect(json.status == 0, "\(json)")
        let lines = try json.stdoutLines.map { line in
            let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(parsed as? [String: Any], "not a JSON object: \(line)")
        }
        let peak = try #require(lines.first { $0["case"] as? String == "fma_peak" })
        #expect((peak["gflops"] as? Double ?? 0) > 1)
        let decode = lines.filter { $0["case"] as? String == "decode" }
        #expect(decode.map { $0["l"] as? Int } == [512, 4096])
        for row in decode {
            #expect(row["lq"] as? Int == 1)
            #expect(row["h"] as? Int == 8 && row["d"] as? Int == 64)
            let percent = try #require(row["percent_of_peak"] as? Double)
            #expect(percent > 0 && percent < 100, "\(row)")
        }
        let table = try AttendTool.run([
            "bench", "--case", "decode (1,8,512,", "--repeats", "1", "--skip-sgemm", "--skip-long",
        ])
        #expect(table.status == 0, "\(table)")
        #expect(table.stdout.contains("OpenBLAS") && table.stdout.contains(" core "), "\(table)")
        #expect(table.stdout.contains("%peak"))
    }

    @Test(
        "a user's OPENBLAS_CORETYPE wins: doctor reports it as the user's choice and OpenBLAS runs it, even when it is a fallback"
    )
    func userChoiceWins() throws {
        let outcome = try AttendTool.run(
            ["doctor", "--json", "--skip-peak"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(outcome.status == 0, "\(outcome)")
        let doctor = try object(outcome)
        // a fixed core ignores the variable
        guard (doctor["openblas_config"] as? String)?.contains("DYNAMIC_ARCH") == true else { return }
        #expect(doctor["openblas_action"] as? String == "user-choice")
        #expect((doctor["openblas_core"] as? String)?.lowercased() == "prescott")
        #expect(doctor["openblas_corrected"] as? Bool == false)
        let text = try AttendTool.run(["doctor", "--skip-peak"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(text.stdout.contains("OPENBLAS_CORETYPE=Prescott is set: the user's choice, left alone"), "\(text)")
    }
}

import Attend
import AttendReference
import Foundation
import Testing

@Suite("attend compare")
struct CompareTests {
    /// The keys `attend compare --help` documents for --json.
    static let documentedKeys: Set<String> = [
        "op", "case", "shapes", "maxAbsError", "maxRelError", "errorOverBound", "referenceFloatErrorOverBound",
        "blasMs", "referenceMs", "speedup", "gflops", "pass", "note", "seed", "tolerance",
    ]

    /// Parses every stdout line as one JSON object.
    private func objects(_ outcome: AttendTool.Outcome) throws -> [[String: Any]] {
        try outcome.stdoutLines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test("compare --op softmax --json: one JSON object per case, the documented keys, all PASS, exit 0")
    func softmaxJSON() throws {
        let outcome = try AttendTool.run(["compare", "--op", "softmax", "--json"])
        #expect(outcome.status == 0, "\(outcome)")
        let lines = try objects(outcome)
        #expect(lines.count >= 4, "expected the softmax cases, got \(lines.count) lines")
        for object in lines {
            #expect(Set(object.keys) == Self.documentedKeys, "keys \(object.keys.sorted())")
            #expect(object["op"] as? String == "softmax")
            #expect(object["pass"] as? Bool == true)
            let ratio = try #require(object["errorOverBound"] as? Double)
            #expect(ratio >= 0 && ratio <= 1)
            #expect(object["referenceFloatErrorOverBound"] is Double)
            #expect((object["blasMs"] as? Double).map { $0 > 0 } == true)
            #expect(object["gflops"] is NSNull, "softmax has no GEMM")
            #expect(object["seed"] as? Int == 42)
        }
        let names = lines.compactMap { $0["case"] as? String }
        #expect(names.contains { $0.contains("±1e4") }, "the extreme-logits case is in the default run")
        #expect(names.contains { $0.contains("all -inf row") }, "the all -inf row case is in the default run")
    }

    @Test("the table has the documented columns and a PASS row per case; --shape picks the op's shape")
    func tableWithShape() throws {
        let outcome = try AttendTool.run(["compare", "--op", "sdpa", "--shape", "1,2,16,8"])
        #expect(outcome.status == 0, "\(outcome)")
        for column in [
            "max abs err", "rel err", "BLAS err/bound", "ref-Float err/bound", "BLAS ms", "ref ms", "speedup", "GFLOPS",
        ] {
            #expect(outcome.stdout.contains(column), "missing column \(column)")
        }
        let rows = outcome.stdoutLines.filter { $0.hasPrefix("sdpa ") }
        #expect(rows.count == 1)
        #expect(rows.first?.contains("[1,2,16,8]×3") == true)
        #expect(rows.first?.hasSuffix("PASS") == true)
    }

    @Test("a tolerance far below the derived bounds makes cases FAIL and the exit status 1")
    func failingTolerance() throws {
        let outcome = try AttendTool.run([
            "compare", "--op", "matmul", "--shape", "16,64,16", "--tolerance", "1e-9", "--json",
        ])
        #expect(outcome.status == 1, "\(outcome)")
        let lines = try objects(outcome)
        #expect(lines.count == 1)
        #expect(lines.first?["pass"] as? Bool == false)
        #expect((lines.first?["errorOverBound"] as? Double).map { $0 > 1 } == true)
    }

    @Test("an unknown --op lists the valid ones and exits 2")
    func unknownOp() throws {
        let outcome = try AttendTool.run(["compare", "--op", "convolve"])
        #expect(outcome.status == 2)
        #expect(outcome.stderrLines.count == 1)
        #expect(
            outcome.stderr.contains("convolve") && outcome.stderr.contains("matmul")
                && outcome.stderr.contains("encoder-layer"))
    }

    @Test("--inputs compares on the user's q.npy, k.npy, v.npy and mask.npy")
    func userInputs() throws {
        let dir = try Scratch()
        var data = TestData(seed: 50)
        try dir.write("q.npy", data.randn([2, 3, 5, 8]))
        try dir.write("k.npy", data.randn([2, 3, 7, 8]))
        try dir.write("v.npy", data.randn([2, 3, 7, 4]))
        try dir.write("mask.npy", bools: data.bools(35, keep: 0.6), shape: [5, 7])
        let outcome = try AttendTool.run(["compare", "--op", "sdpa", "--inputs", dir.url.path, "--json"])
        #expect(outcome.status == 0, "\(outcome)")
        let lines = try objects(outcome)
        #expect(lines.count == 1)
        #expect((lines.first?["case"] as? String)?.contains("bool [5, 7]") == true)
        #expect(lines.first?["pass"] as? Bool == true)

        let missing = try AttendTool.run(["compare", "--op", "matmul", "--inputs", dir.url.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("a.npy"))
    }
}

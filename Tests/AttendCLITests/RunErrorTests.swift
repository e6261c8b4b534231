import Attend
import AttendReference
import Foundation
import Testing

/// Bad input: one line on stderr naming the op and the argument, exit status 2, no output file.
@Suite("attend run: bad input exits 2 with one line and writes nothing")
struct RunErrorTests {
    /// An invocation that must fail, with the words its one-line message must contain.
    struct BadInput: CustomTestStringConvertible, Sendable {
        var label: String
        /// Arguments after `attend`; `$` is replaced by the scratch directory.
        var arguments: [String]
        /// Substrings the stderr line must contain (the op prefix, the argument, the rule).
        var mentions: [String]
        /// Output files that must not exist afterwards.
        var outputs: [String] = ["out.npy"]

        var testDescription: String { label }
    }

    /// Inputs shared by the cases: float32 arrays (a [2, 3, 4], b [4, 5], c [5, 2], q [2, 3, 8] …),
    /// a bool mask [3, 7], a file that is not .npy, and a state_dict for E = 8.
    private func makeInputs(_ dir: Scratch) throws {
        var data = TestData(seed: 40)
        try dir.write("a.npy", data.randn([2, 3, 4]))
        try dir.write("b.npy", data.randn([4, 5]))
        try dir.write("q.npy", data.randn([2, 3, 8]))
        try dir.write("signal.npy", data.randn([4]))
        try dir.write("k.npy", data.randn([6]))
        try dir.write("image.npy", data.randn([1, 3, 6, 6]))
        try dir.write("w5.npy", data.randn([5]))
        try dir.write("c.npy", data.randn([5, 2]))
        try dir.write("m.npy", bools: data.bools(21, keep: 0.5), shape: [3, 7])
        try Data("definitely not an array".utf8).write(to: URL(fileURLWithPath: dir.path("junk.npy")))
        try dir.writeSafeTensors("attn.safetensors", RunTests.mhaStateDict(embed: 8, &data))
    }

    static let cases: [BadInput] = [
        BadInput(
            label: "missing input file",
            arguments: ["run", "matmul", "--input", "$/a.npy", "--input", "$/nope.npy", "--output", "$/out.npy"],
            mentions: ["attend run matmul:", "--input", "nope.npy", "no such file"]),
        BadInput(
            label: "not an .npy file", arguments: ["run", "softmax", "--input", "$/junk.npy", "--output", "$/out.npy"],
            mentions: ["attend run softmax:", "--input", "junk.npy"]),
        BadInput(
            label: "inner dimensions differ",
            arguments: ["run", "matmul", "--input", "$/b.npy", "--input", "$/a.npy", "--output", "$/out.npy"],
            mentions: ["attend run matmul:", "--input", "matmul:", "inner dimensions"]),
        BadInput(
            label: "bad einsum equation",
            arguments: [
                "run", "einsum", "--equation", "ij,jk->iq", "--input", "$/b.npy", "--input", "$/c.npy", "--output",
                "$/out.npy",
            ],
            mentions: ["attend run einsum:", "--equation", "einsum:", "'q'"]),
        BadInput(
            label: "softmax dim out of range",
            arguments: ["run", "softmax", "--input", "$/a.npy", "--dim", "3", "--output", "$/out.npy"],
            mentions: ["attend run softmax:", "--dim 3", "out of range"]),
        BadInput(
            label: "mask does not broadcast, neither output written",
            arguments: [
                "run", "sdpa", "--query", "$/q.npy", "--key", "$/q.npy", "--value", "$/q.npy", "--mask", "$/m.npy",
                "--output", "$/out.npy", "--attention-weights", "$/weights.npy",
            ],
            mentions: ["attend run sdpa:", "--mask", "m.npy", "[3, 7]", "does not broadcast"],
            outputs: ["out.npy", "weights.npy"]),
        BadInput(
            label: "num-heads does not divide the width",
            arguments: [
                "run", "mha", "--query", "$/q.npy", "--key", "$/q.npy", "--value", "$/q.npy", "--weights",
                "$/attn.safetensors",
                "--num-heads", "3", "--output", "$/out.npy",
            ],
            mentions: ["attend run mha:", "--weights", "--num-heads 3", "divisible"]),
        BadInput(
            label: "query width does not match the weights",
            arguments: [
                "run", "mha", "--query", "$/a.npy", "--key", "$/a.npy", "--value", "$/a.npy", "--weights",
                "$/attn.safetensors",
                "--num-heads", "2", "--output", "$/out.npy",
            ],
            mentions: ["attend run mha:", "--query", "MultiHeadAttention:", "[2, 3, 4]"]),
        BadInput(
            label: "weights file without the state_dict entries",
            arguments: [
                "run", "encoder-layer", "--input", "$/q.npy", "--weights", "$/attn.safetensors", "--num-heads", "2",
                "--output", "$/out.npy",
            ],
            mentions: ["attend run encoder-layer:", "--weights", "state_dict has no"]),
        BadInput(
            label: "kernel longer than the signal",
            arguments: ["run", "conv1d", "--input", "$/signal.npy", "--kernel", "$/k.npy", "--output", "$/out.npy"],
            mentions: ["attend run conv1d:", "--kernel", "conv1d:"]),
        BadInput(
            label: "image not divisible into patches",
            arguments: ["run", "patchify", "--input", "$/image.npy", "--patch", "4", "--output", "$/out.npy"],
            mentions: ["attend run patchify:", "--patch 4", "divisible"]),
        BadInput(
            label: "layernorm weight of the wrong shape",
            arguments: ["run", "layernorm", "--input", "$/q.npy", "--weight", "$/w5.npy", "--output", "$/out.npy"],
            mentions: ["attend run layernorm:", "--weight", "w5.npy", "[5]", "[8]"]),
        BadInput(
            label: "output directory missing",
            arguments: ["run", "softmax", "--input", "$/a.npy", "--output", "$/missing/out.npy"],
            mentions: ["attend run softmax:", "--output", "does not exist"], outputs: ["missing/out.npy"]),
        BadInput(
            label: "same path for both outputs",
            arguments: [
                "run", "sdpa", "--query", "$/q.npy", "--key", "$/q.npy", "--value", "$/q.npy", "--output", "$/out.npy",
                "--attention-weights", "$/out.npy",
            ],
            mentions: ["attend run sdpa:", "--attention-weights", "same file"]),
    ]

    @Test("bad input exits 2 with one line naming the op and argument, and no output file", arguments: cases)
    func badInput(_ item: BadInput) throws {
        let dir = try Scratch()
        try makeInputs(dir)
        let outcome = try AttendTool.run(item.arguments.map { $0.replacingOccurrences(of: "$", with: dir.url.path) })
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.stderrLines.count == 1, "expected one line on stderr, got: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
        let line = outcome.stderrLines.first ?? ""
        for word in item.mentions {
            #expect(line.contains(word), "stderr \"\(line)\" does not mention \(word)")
        }
        for output in item.outputs {
            #expect(!dir.exists(output), "\(output) was written")
        }
        // No temporary files left behind either.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test("a usage error (missing --output, unknown option) exits 2")
    func usageErrors() throws {
        let dir = try Scratch()
        try makeInputs(dir)
        let missing = try AttendTool.run(["run", "softmax", "--input", dir.path("a.npy")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--output"))
        let unknown = try AttendTool.run([
            "run", "softmax", "--input", dir.path("a.npy"), "--output", dir.path("o.npy"), "--frobnicate",
        ])
        #expect(unknown.status == 2)
        #expect(!dir.exists("o.npy"))
    }

    @Test("a failed run leaves an existing output file untouched")
    func existingOutputKept() throws {
        let dir = try Scratch()
        try makeInputs(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path("b.npy")))
        let outcome = try AttendTool.run([
            "run", "matmul", "--input", dir.path("b.npy"), "--input", dir.path("a.npy"), "--output", dir.path("b.npy"),
        ])
        #expect(outcome.status == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("b.npy"))) == before)
    }
}

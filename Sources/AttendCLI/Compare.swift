import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

/// `attend compare` — every op through the engine (Float, OpenBLAS) and through the
/// independent reference (Double and Float), with errors measured against bounds derived from
/// each problem. Exit status 1 when a case exceeds its bound.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every op through BLAS and the reference: errors, bounds, timings, PASS/FAIL.",
        discussion: """
            With no options: every op on seed shapes and realistic shapes (about 60 cases, well under a minute in a release build on two cores; the reference is naive loops).

            Each case runs the engine in Float (BLAS; timed as the best of several runs), the reference in Double (the exact answer; timed) and the reference in Float. Columns:
              max abs err          max |engine − exact|
              rel err              ‖engine − exact‖∞ / ‖exact‖∞
              BLAS err/bound       worst elementwise |engine − exact| / bound; ≤ 1 passes
              ref-Float err/bound  the same for the naive Float reference, for comparison
                                   (above 1 where the engine accumulates in Double; never
                                   a FAIL)
              BLAS ms, ref ms      engine (best run) and Double reference times
              speedup              ref ms / BLAS ms
              GFLOPS               of the engine's GEMM calls (— for ops without GEMMs)

            Bounds follow the policy of AttendVerification (ErrorBounds, Sources/AttendVerification/Policy/ErrorBounds.swift, whose doc comment states every formula once with its derivation): elementwise, from each problem's own reductions, with u = 2⁻²⁴ — never one global atol. Attention chains the stages' bounds through each step by first-order error propagation (worst case). Multi-head attention and the encoder layer use the probabilistic form of the same analysis (Higham & Mary 2019: λ·√K·u instead of γ_K, λ = 8, and independent errors combined as a root sum of squares), since worst-case bounds over a stack of layers exceed the outputs themselves.

            --op NAME (repeatable): \(CompareOp.names).

            --shape, per op:
            \(CompareOp.allCases.map { "  \($0.rawValue): \($0.shapeSyntax)" }.joined(separator: "\n"))

            --inputs DIR compares on your own arrays instead of random data, with these file names: \(CaseRegistry.inputNaming). Without --op, every op whose files are in DIR runs.

            --json prints one JSON object per case per line (no table) with the keys op, case, shapes, maxAbsError, maxRelError, errorOverBound, referenceFloatErrorOverBound, blasMs, referenceMs, speedup, gflops (null without GEMMs), pass, note (null or a string), seed, tolerance; non-finite numbers are the strings "inf" and "nan".

            Progress ([3/60] sdpa causal …) goes to stderr when it is a terminal; stdout holds only the table or the JSON lines. Exit status: 0 all PASS, 1 a case FAILed, 2 bad input.
            """)

    @Option(name: .customLong("op"), help: ArgumentHelp("Only this op (repeatable).", valueName: "name"))
    var ops: [String] = []

    @Option(
        help: ArgumentHelp(
            "An op-specific shape for the one --op (syntax above), e.g. --op sdpa --shape 2,8,512,64.",
            valueName: "dims"))
    var shape: String?

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 42

    @Option(
        help:
            "Worker threads Attend runs its GEMMs and attention on; OpenBLAS itself runs one thread per call (default: all cores, Parallelism.threadCount)."
    )
    var threads: Int?

    @Option(help: "Multiplies every bound (2 allows twice the derived error).")
    var tolerance: Double = 1

    @Flag(help: "One JSON object per case per line instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Compare on the arrays in this directory (file names above).", valueName: "dir"))
    var inputs: String?

    @Option(help: "einsum with --shape or --inputs: the equation.")
    var equation: String?

    @Option(
        parsing: .unconditional, help: "softmax, logsoftmax, sum, mean, std with --shape or --inputs: the dimension.")
    var dim: Int = -1

    @Option(help: "patchify with --inputs: the patch side.")
    var patch: Int?

    @Option(name: .customLong("num-heads"), help: "mha, encoder-layer with --inputs: the number of heads.")
    var numHeads: Int?

    @Option(
        help: ArgumentHelp("encoder-layer with --inputs or --shape: the activation.", valueName: "relu|gelu|gelu-tanh"))
    var activation: ActivationArgument = .relu

    @Flag(name: .customLong("norm-first"), help: "encoder-layer with --inputs or --shape: pre-norm.")
    var normFirst = false

    func run() throws {
        let context = ErrorContext(command: "attend compare")
        var selected: [CompareOp] = []
        for name in ops {
            guard let op = CompareOp(rawValue: name.lowercased()) else {
                throw context.error("--op \(name)", "unknown op; valid ops: \(CompareOp.names)")
            }
            if !selected.contains(op) { selected.append(op) }
        }
        if let threads {
            guard threads >= 1 else { throw context.error("--threads \(threads)", "expected at least 1 thread") }
            Parallelism.threadCount = threads
        }
        guard tolerance > 0, tolerance.isFinite else {
            throw context.error("--tolerance \(tolerance)", "expected a positive factor")
        }
        let options = CaseOptions(
            equation: equation, dim: dim, patch: patch, numHeads: numHeads, activation: activation.engine,
            normFirst: normFirst)

        let cases: [CompareCase]
        do {
            if let inputs {
                if shape != nil {
                    throw context.error(
                        "--shape", "--shape and --inputs exclude each other (the shapes come from the files)")
                }
                cases = try CaseRegistry.inputCases(
                    selected.isEmpty ? CompareOp.allCases : selected,
                    inputs: try InputDirectory(inputs, context: context), options: options,
                    explicit: !selected.isEmpty)
            } else if let shape {
                guard selected.count == 1 else {
                    throw context.error(
                        "--shape \(shape)", "give exactly one --op with --shape (the syntax is op-specific; see --help)"
                    )
                }
                cases = try CaseRegistry.shapeCases(selected[0], shape, options: options)
            } else {
                cases = CaseRegistry.defaultCases().filter { selected.isEmpty || selected.contains($0.op) }
            }
        } catch let error as CaseDefinitionError {
            throw context.error(error.argument, error.message)
        }

        let started = ContinuousClock.now
        let showProgress = StandardError.isTerminal
        var results: [CaseResult] = []
        for (index, item) in cases.enumerated() {
            if showProgress {
                StandardError.write("\r\u{1B}[2K[\(index + 1)/\(cases.count)] \(item.op.rawValue) \(item.name) …")
            }
            let result = try measure(item)
            results.append(result)
            if json { print(try jsonLine(result)) }
        }
        if showProgress { StandardError.write("\r\u{1B}[2K") }
        let elapsed = Stopwatch.seconds(ContinuousClock.now - started)
        if !json { print(report(results, seconds: elapsed)) }
        if results.contains(where: { !$0.passed }) { throw ExitCode(ExitStatus.boundExceeded) }
    }

    /// Measures one case; a library error on the user's own files is bad input (exit 2), on
    /// random inputs it is a failed case.
    private func measure(_ item: CompareCase) throws -> CaseResult {
        var generator = SeededGenerator(seed: item.seed(base: seed))
        do {
            let measurement = try item.measure(&generator)
            return CaseResult(
                op: item.op.rawValue, name: item.name, shapes: item.shapes, measurement: measurement,
                tolerance: tolerance)
        } catch {
            if let source = item.userInputs {
                throw CLIError("attend compare: \(source) (\(item.op.rawValue)): \(libraryMessage(error))")
            }
            return CaseResult(
                op: item.op.rawValue, name: item.name, shapes: item.shapes, failure: "threw: \(libraryMessage(error))")
        }
    }

    /// The table, its legend and the summary.
    private func report(_ results: [CaseResult], seconds: Double) -> String {
        var table = TextTable([
            ("op", .left), ("case", .left), ("shapes", .left), ("max abs err", .right), ("rel err", .right),
            ("BLAS err/bound", .right), ("ref-Float err/bound", .right), ("BLAS ms", .right), ("ref ms", .right),
            ("speedup", .right), ("GFLOPS", .right), ("result", .left),
        ])
        for r in results {
            table.append([
                r.op, r.name, r.shapes, Format.scientific(r.maxAbsError), Format.scientific(r.maxRelError),
                Format.ratio(r.errorOverBound),
                Format.ratio(r.referenceFloatErrorOverBound), Format.milliseconds(r.blasMilliseconds),
                Format.milliseconds(r.referenceMilliseconds), Format.speedup(r.speedup), Format.gflops(r.gflops),
                r.passed ? "PASS" : "FAIL",
            ])
        }
        let failed = results.filter { !$0.passed }.count
        var lines = [
            "attend compare — seed \(seed), threads \(Parallelism.threadCount), tolerance ×\(tolerance == 1 ? "1" : "\(tolerance)")",
            Doctor.oneLine(),
            "errors against the reference in Double; err/bound ≤ 1 passes (bounds: attend compare --help)",
            "",
            table.rendered(),
            "",
        ]
        for r in results where r.note != nil { lines.append("note: \(r.op) \(r.name): \(r.note!)") }
        let blas = results.reduce(0.0) { $0 + ($1.blasMilliseconds.isFinite ? $1.blasMilliseconds : 0) } / 1e3
        let reference =
            results.reduce(0.0) { $0 + ($1.referenceMilliseconds.isFinite ? $1.referenceMilliseconds : 0) } / 1e3
        lines.append(
            "\(results.count) cases: \(results.count - failed) PASS, \(failed) FAIL · BLAS \(String(format: "%.2f", blas)) s, "
                + "reference (Double) \(String(format: "%.1f", reference)) s, wall \(String(format: "%.1f", seconds)) s"
        )
        return lines.joined(separator: "\n")
    }

    /// One case as a JSON object on one line.
    private func jsonLine(_ r: CaseResult) throws -> String {
        struct Line: Encodable {
            var op: String, `case`: String, shapes: String
            var maxAbsError: Double, maxRelError: Double, errorOverBound: Double, referenceFloatErrorOverBound: Double
            var blasMs: Double, referenceMs: Double, speedup: Double
            var gflops: Double?
            var pass: Bool
            var note: String?
            var seed: UInt64, tolerance: Double

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(op, forKey: .op)
                try c.encode(`case`, forKey: .case)
                try c.encode(shapes, forKey: .shapes)
                try c.encode(maxAbsError, forKey: .maxAbsError)
                try c.encode(maxRelError, forKey: .maxRelError)
                try c.encode(errorOverBound, forKey: .errorOverBound)
                try c.encode(referenceFloatErrorOverBound, forKey: .referenceFloatErrorOverBound)
                try c.encode(blasMs, forKey: .blasMs)
                try c.encode(referenceMs, forKey: .referenceMs)
                try c.encode(speedup, forKey: .speedup)
                try c.encode(gflops, forKey: .gflops)  // null when absent
                try c.encode(pass, forKey: .pass)
                try c.encode(note, forKey: .note)
                try c.encode(seed, forKey: .seed)
                try c.encode(tolerance, forKey: .tolerance)
            }

            enum CodingKeys: String, CodingKey {
                case op, `case`, shapes, maxAbsError, maxRelError, errorOverBound, referenceFloatErrorOverBound
                case blasMs, referenceMs, speedup, gflops, pass, note, seed, tolerance
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let line = Line(
            op: r.op, case: r.name, shapes: r.shapes, maxAbsError: r.maxAbsError, maxRelError: r.maxRelError,
            errorOverBound: r.errorOverBound, referenceFloatErrorOverBound: r.referenceFloatErrorOverBound,
            blasMs: r.blasMilliseconds, referenceMs: r.referenceMilliseconds, speedup: r.speedup, gflops: r.gflops,
            pass: r.passed, note: r.note, seed: seed, tolerance: tolerance)
        return String(decoding: try encoder.encode(line), as: UTF8.self)
    }
}

import RealModule

extension Reference {
    /// softmax along `dim`: `out[…, i, …] = exp(x_i − m) / Σ_j exp(x_j − m)` with `m = max_j x_j`
    /// over each line along `dim`; the shape is unchanged.
    ///
    /// Entries equal to −inf get weight exactly 0. A line whose entries are ALL −inf gives all zeros
    /// (not NaN). Subtracting the max keeps logits like ±1e4 finite.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func softmax<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int = -1) throws -> ReferenceArray<Scalar> {
        var out = x
        try forEachLine(x, dim: dim, op: "softmax") { offsets in
            let line = offsets.map { x.values[$0] }
            let weights = softmaxOfLine(line)
            for (k, offset) in offsets.enumerated() { out.values[offset] = weights[k] }
        }
        return out
    }

    /// log-softmax along `dim`: `out_i = x_i − m − log Σ_j exp(x_j − m)`, `m = max_j x_j`.
    ///
    /// −inf entries give −inf; a line whose entries are all −inf gives all −inf.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func logSoftmax<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int = -1) throws -> ReferenceArray<Scalar> {
        var out = x
        try forEachLine(x, dim: dim, op: "logSoftmax") { offsets in
            let line = offsets.map { x.values[$0] }
            let m = maxOfLine(line)
            var logTotal = -Scalar.infinity
            if m != -Scalar.infinity {
                var total: Scalar = 0
                for v in line where v != -Scalar.infinity { total += Scalar.exp(v - m) }
                logTotal = Scalar.log(total)
            }
            for (k, offset) in offsets.enumerated() {
                out.values[offset] = m == -Scalar.infinity ? -Scalar.infinity : line[k] - m - logTotal
            }
        }
        return out
    }

    // MARK: - Internals

    /// The largest entry of a line (−inf for an empty line; NaN if any entry is NaN).
    static func maxOfLine<Scalar: ReferenceScalar>(_ line: [Scalar]) -> Scalar {
        var m = -Scalar.infinity
        for v in line {
            if v.isNaN { return v }
            if v > m { m = v }
        }
        return m
    }

    /// softmax of one line; −inf entries get 0 and an all −inf line gives all zeros.
    static func softmaxOfLine<Scalar: ReferenceScalar>(_ line: [Scalar]) -> [Scalar] {
        let m = maxOfLine(line)
        if m == -Scalar.infinity { return [Scalar](repeating: 0, count: line.count) }
        var exps = [Scalar](repeating: 0, count: line.count)
        var total: Scalar = 0
        for k in 0..<line.count where line[k] != -Scalar.infinity {
            exps[k] = Scalar.exp(line[k] - m)
            total += exps[k]
        }
        for k in 0..<line.count { exps[k] /= total }
        return exps
    }

    /// Calls `body` once per line along `dim` with the flat offsets of that line's elements.
    ///
    /// With `outer = Π shape[..<d]`, `n = shape[d]`, `inner = Π shape[(d+1)...]`, line `(o, i)`
    /// holds the elements at `o·n·inner + k·inner + i` for `k` in `0..<n`.
    static func forEachLine<Scalar>(
        _ x: ReferenceArray<Scalar>, dim: Int, op: String, _ body: ([Int]) throws -> Void
    ) throws {
        let d = try normalizedDim(dim, rank: x.rank, op: op, shape: x.shape)
        let outer = x.shape[..<d].reduce(1, *)
        let n = x.shape[d]
        let inner = x.shape[(d + 1)...].reduce(1, *)
        for o in 0..<outer {
            for i in 0..<inner {
                try body((0..<n).map { k in o * n * inner + k * inner + i })
            }
        }
    }
}

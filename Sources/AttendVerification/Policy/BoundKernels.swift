/// Plain Double loops for the error bounds and the bound model's forward values. They are
/// written here rather than taken from the engine: a bound computed by the code it checks would
/// prove nothing.
enum BoundKernels {
    /// `C[g, i, j] = Σ_p A[g, i, p]·B[g, j, p]` for row-major `A [G, M, K]` and `B [G, N, K]`
    /// (or `B [N, K]` shared by every g when `sharedB`) — a product with B's rows contiguous.
    static func productABt(
        _ a: [Double], _ b: [Double], groups: Int, m: Int, n: Int, k: Int, sharedB: Bool = false
    ) -> [Double] {
        precondition(a.count == groups * m * k, "productABt: A holds \(a.count) values, expected \(groups)·\(m)·\(k)")
        precondition(
            b.count == (sharedB ? 1 : groups) * n * k,
            "productABt: B holds \(b.count) values, expected \(sharedB ? 1 : groups)·\(n)·\(k)")
        var c = [Double](repeating: 0, count: groups * m * n)
        guard k > 0, !c.isEmpty else { return c }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    let (aStart, bStart, cStart) = (ap.baseAddress!, bp.baseAddress!, cp.baseAddress!)
                    for g in 0..<groups {
                        let bGroup = bStart + (sharedB ? 0 : g * n * k)
                        for i in 0..<m {
                            let row = aStart + (g * m + i) * k
                            let out = cStart + (g * m + i) * n
                            for j in 0..<n {
                                out[j] = dot(row, bGroup + j * k, k)
                            }
                        }
                    }
                }
            }
        }
        return c
    }

    /// Σ_p x[p]·y[p] with four independent SIMD lanes.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        var acc0 = SIMD4<Double>(repeating: 0)
        var acc1 = SIMD4<Double>(repeating: 0)
        var p = 0
        while p + 8 <= count {
            acc0 +=
                UnsafeRawPointer(x + p).loadUnaligned(as: SIMD4<Double>.self)
                * UnsafeRawPointer(y + p).loadUnaligned(as: SIMD4<Double>.self)
            acc1 +=
                UnsafeRawPointer(x + p + 4).loadUnaligned(as: SIMD4<Double>.self)
                * UnsafeRawPointer(y + p + 4).loadUnaligned(as: SIMD4<Double>.self)
            p += 8
        }
        var total = (acc0 + acc1).sum()
        while p < count {
            total += x[p] * y[p]
            p += 1
        }
        return total
    }

    /// `[G, R, C]` → `[G, C, R]`.
    static func transposeLastTwo(_ x: [Double], groups: Int, rows: Int, columns: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for g in 0..<groups {
            let base = g * rows * columns
            for r in 0..<rows {
                for c in 0..<columns { out[base + c * rows + r] = x[base + r * columns + c] }
            }
        }
        return out
    }

    /// Interleaves two `[G, R, K]` arrays row by row into `[G, R, 2K]` (`[x | y]` per row), so
    /// one product computes Σ x·a + Σ y·b.
    static func concatenateRows(_ x: [Double], _ y: [Double], rows: Int, k: Int) -> [Double] {
        precondition(x.count == rows * k && y.count == rows * k, "concatenateRows: sizes differ")
        var out = [Double]()
        out.reserveCapacity(2 * x.count)
        for r in 0..<rows {
            out.append(contentsOf: x[(r * k)..<((r + 1) * k)])
            out.append(contentsOf: y[(r * k)..<((r + 1) * k)])
        }
        return out
    }
}

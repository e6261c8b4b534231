import Attend
import AttendReference
import AttendVerification
import Testing

@Suite("Views share storage and only change strides")
struct ViewTests {
    let x = Tensor<Float>.arange(0, 24)

    @Test("transposed, permuted, unsqueezed, expanded, sliced and unfolded never copy")
    func viewsShareStorage() throws {
        let t = try x.view([2, 3, 4])
        #expect(t.sharesStorage(with: x))
        #expect(t.transposed(0, 2).sharesStorage(with: x))
        #expect(try t.permuted(2, 0, 1).sharesStorage(with: x))
        #expect(t.unsqueezed(1).sharesStorage(with: x))
        #expect(try t.unsqueezed(0).expanded(to: [5, 2, 3, 4]).sharesStorage(with: x))
        #expect(try t.sliced(2, 1..<4, step: 2).sharesStorage(with: x))
        #expect(try t.unfolded(-1, size: 2, step: 1).sharesStorage(with: x))
        #expect(try t.narrowed(1, start: 1, length: 2).sharesStorage(with: x))
        #expect(t.contiguous().sharesStorage(with: x))
    }

    @Test("transposed swaps strides: [2,3,4] strides (12,4,1) → transposed(-2,-1) strides (12,1,4)")
    func transposedStrides() throws {
        let t = try x.view([2, 3, 4])
        #expect(t.strides == [12, 4, 1])
        let u = t.transposed(-2, -1)
        #expect(u.shape == [2, 4, 3])
        #expect(u.strides == [12, 1, 4])
        #expect(!u.isContiguous)
        #expect(u[1, 3, 2] == t[1, 2, 3])
    }

    @Test("view of a transposed tensor throws and tells the user to call contiguous() or reshaped")
    func viewOfTransposedThrows() throws {
        let u = try x.view([4, 6]).transposed(0, 1)  // [6, 4], column-major
        let error = #expect(throws: TensorError.self) { try u.view([24]) }
        #expect(error?.op == "view")
        #expect(error?.message.contains("contiguous()") == true)
        #expect(error?.message.contains("reshaped") == true)
        #expect(error?.message.contains("[6, 4]") == true)
    }

    @Test("reshaped is a view when strides allow and a copy only when they do not")
    func reshapedCopiesOnlyWhenItMust() throws {
        let t = try x.view([4, 6])
        #expect(try t.reshaped([2, 2, 6]).sharesStorage(with: x))
        #expect(try t.reshaped(-1).sharesStorage(with: x))
        let u = t.transposed(0, 1)
        let flat = try u.reshaped([24])
        #expect(!flat.sharesStorage(with: x))
        #expect(
            flat.scalars
                == (try Reference.reshaped(Reference.transposed(t.reference, 0, 1), [24])).values.map { Float($0) })
        // Splitting one dimension of a transposed tensor is still a view.
        #expect(try u.reshaped([3, 2, 4]).sharesStorage(with: x))
    }

    @Test("view infers -1 and rejects element-count mismatches with both shapes in the message")
    func viewInference() throws {
        #expect(try x.view([-1, 4]).shape == [6, 4])
        let error = #expect(throws: TensorError.self) { try x.view([5, 5]) }
        #expect(error?.description.contains("[5, 5]") == true)
        #expect(error?.description.contains("24") == true)
    }

    @Test("expanded gives stride 0 on broadcast dimensions and refuses non-1 sizes")
    func expandedStrides() throws {
        let column = try Tensor<Float>.arange(0, 3).view([3, 1])
        let wide = try column.expanded(to: [2, 3, 4])
        #expect(wide.strides == [0, 1, 0])
        #expect(wide[1, 2, 3] == 2)
        let error = #expect(throws: TensorError.self) { try column.expanded(to: [2, 4]) }
        #expect(error?.message.contains("neither") == true)
    }

    @Test("negative dimensions count from the end everywhere")
    func negativeDimensions() throws {
        let t = try x.view([2, 3, 4])
        #expect(t.transposed(-3, -1).shape == [4, 3, 2])
        #expect(try t.sum(dim: -3).shape == [3, 4])
        #expect(try t.softmax(dim: -2).shape == [2, 3, 4])
        #expect(t.unsqueezed(-1).shape == [2, 3, 4, 1])
        #expect(throws: TensorError.self) { try t.sum(dim: -4) }
        #expect(throws: TensorError.self) { try t.sum(dim: 3) }
    }

    @Test("contiguous() of each non-contiguous layout has the reference's logical values")
    func contiguousMatchesReference() throws {
        let t = try x.view([2, 3, 4])
        let cases: [(Tensor<Float>, ReferenceArray<Double>)] = [
            (t.transposed(0, 2), try Reference.transposed(t.reference, 0, 2)),
            (try t.permuted(1, 2, 0), try Reference.permuted(t.reference, [1, 2, 0])),
            (try t.narrowed(2, start: 1, length: 2), try Reference.narrow(t.reference, dim: 2, start: 1, length: 2)),
            (try t.unsqueezed(0).expanded(to: [3, 2, 3, 4]), try Reference.expanded(t.reference, to: [3, 2, 3, 4])),
            (try t.unfolded(2, size: 3, step: 1), try Reference.unfold(t.reference, dim: 2, size: 3, step: 1)),
        ]
        for (view, expected) in cases {
            let dense = view.contiguous()
            #expect(dense.isContiguous)
            #expect(dense.shape == expected.shape)
            #expect(dense.scalars.map { Double($0) } == expected.values)
        }
    }

    @Test("writing through an expanded or unfolded view materializes it first, so one write changes one element")
    func writeThroughAliasedView() throws {
        let row = Tensor<Float>([1, 2, 3])
        var wide = try row.unsqueezed(0).expanded(to: [2, 3])  // stride 0 over rows
        wide[0, 1] = 20
        #expect(wide.scalars == [1, 20, 3, 1, 2, 3])
        #expect(row.scalars == [1, 2, 3])
        var windows = try Tensor<Float>([10, 20, 30, 40]).unfolded(0, size: 2, step: 1)  // [[10,20],[20,30],[30,40]]
        windows[0, 1] = 0
        #expect(windows.scalars == [10, 0, 20, 30, 30, 40])
    }

    @Test("narrowing with a negative length throws instead of trapping")
    func negativeNarrow() throws {
        let error = #expect(throws: TensorError.self) {
            try Tensor<Float>([1, 2, 3]).narrowed(0, start: 2, length: -1)
        }
        #expect(error?.message.contains("length -1 is negative") == true)
    }

    @Test("writing through a subscript copies a shared buffer first (copy-on-write)")
    func copyOnWrite() throws {
        var a = Tensor<Float>([1, 2, 3])
        let b = a
        a[0] = 10
        #expect(a.scalars == [10, 2, 3])
        #expect(b.scalars == [1, 2, 3])
        #expect(!a.sharesStorage(with: b))
    }
}

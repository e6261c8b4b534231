extension EinsumLowering {
    /// Executes the plan on tensors with the layouts it was made for.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run<Scalar: TensorScalar>(_ operands: [Tensor<Scalar>]) throws -> Tensor<Scalar> {
        var slots: [Tensor<Scalar>?] = operands.indices.map { operands[$0].withLayout(binding.operands[$0].layout) }
        for step in steps {
            switch step {
            case .reduce(let reduction):
                let arranged = try slots[reduction.slot]!.permuted(reduction.permutation)  // [kept…, summed…]
                slots[reduction.slot] = try arranged.sum(dims: reduction.summedDims)  // [kept…]
            case .contract(let contraction):
                let a = try contraction.leftMatrix.matrix(slots[contraction.left]!)  // [batch…, M, K]
                let b = try contraction.rightMatrix.matrix(slots[contraction.right]!)  // [batch…, K, N]
                let c = try contraction.gemm.run(a, b)  // [batch…, M, N]
                slots[contraction.left] = nil
                slots[contraction.right] = nil
                slots.append(try c.view(contraction.resultShape))  // [batch…, free…, free…]
            case .multiply(let product):
                let a = try slots[product.left]!.permuted(product.leftPermutation).view(product.leftAligned)
                let b = try slots[product.right]!.permuted(product.rightPermutation).view(product.rightAligned)
                slots[product.left] = nil
                slots[product.right] = nil
                slots.append(try Tensor.zip(a, b, op: "einsum", *))
            }
        }
        let result = try slots[finalSlot]!.permuted(finalPermutation)  // output order, a view
        return finalCopy ? result.materialized() : result
    }
}

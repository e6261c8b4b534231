extension Reference {
    /// `out[i] = f(x[i])` for every element; the shape is unchanged.
    public static func map<Scalar>(_ x: ReferenceArray<Scalar>, _ f: (Scalar) -> Scalar) -> ReferenceArray<Scalar> {
        ReferenceArray(shape: x.shape, values: x.values.map(f))
    }

    /// `out[i] = f(a[i], b[i])` with NumPy broadcasting: out.shape = broadcastShapes(a.shape, b.shape).
    /// - Throws: ``ReferenceError`` when the shapes do not broadcast.
    public static func zipMap<Scalar>(
        _ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>, _ f: (Scalar, Scalar) -> Scalar
    ) throws -> ReferenceArray<Scalar> {
        try broadcastBinary(a, b, op: "zipMap", f)
    }

    /// Elementwise `a + b` with NumPy broadcasting (out.shape = broadcastShapes(a.shape, b.shape)).
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the shapes do not broadcast (each trailing pair of
    ///   extents equal or 1).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func add<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws -> ReferenceArray<
        Scalar
    > {
        try broadcastBinary(a, b, op: "add") { $0 + $1 }
    }

    /// Elementwise `a − b` with NumPy broadcasting (out.shape = broadcastShapes(a.shape, b.shape)).
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the shapes do not broadcast (each trailing pair of
    ///   extents equal or 1).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func subtract<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        try broadcastBinary(a, b, op: "subtract") { $0 - $1 }
    }

    /// Elementwise `a · b` with NumPy broadcasting (out.shape = broadcastShapes(a.shape, b.shape)).
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the shapes do not broadcast (each trailing pair of
    ///   extents equal or 1).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func multiply<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        try broadcastBinary(a, b, op: "multiply") { $0 * $1 }
    }

    /// Elementwise `a / b` with NumPy broadcasting (out.shape = broadcastShapes(a.shape, b.shape)).
    /// IEEE semantics: x/0 is ±inf, 0/0 is NaN.
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the shapes do not broadcast (each trailing pair of
    ///   extents equal or 1).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func divide<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        try broadcastBinary(a, b, op: "divide") { $0 / $1 }
    }

    /// The shared broadcasting loop: visits every output multi-index and reads both operands through
    /// their broadcast strides.
    static func broadcastBinary<Scalar>(
        _ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>, op: String, _ f: (Scalar, Scalar) -> Scalar
    ) throws -> ReferenceArray<Scalar> {
        let shape = try broadcastShapes(a.shape, b.shape, op: op)
        let aOffsets = broadcastOffsets(a.shape, to: shape)
        let bOffsets = broadcastOffsets(b.shape, to: shape)
        var out = [Scalar](repeating: 0, count: aOffsets.count)
        for n in 0..<out.count {
            out[n] = f(a.values[aOffsets[n]], b.values[bOffsets[n]])
        }
        return ReferenceArray(shape: shape, values: out)
    }
}

import Attend
import AttendReference
import RealModule

// Moving values between the engine and the reference. Only the logical-index accessor
// (`scalars`) is read, so the reference never sees the engine's strides.

extension Tensor {
    /// The logical values as a reference array of `R`.
    public func reference<R: ReferenceScalar>(_: R.Type) -> ReferenceArray<R> {
        ReferenceArray(shape: shape, values: scalars.map { R(Double($0)) })
    }

    /// The logical values as a Double reference array.
    public var reference: ReferenceArray<Double> { reference(Double.self) }
}

extension BoolTensor {
    /// 1 for true, 0 for false, as the reference's masks take them.
    public func reference<R: ReferenceScalar>(_: R.Type) -> ReferenceArray<R> {
        ReferenceArray(shape: shape, values: elements.map { $0 ? 1 : 0 })
    }
}

extension ReferenceArray {
    /// The values as an engine tensor of the given scalar type.
    public func tensor<T: TensorScalar>(_: T.Type = T.self) -> Tensor<T> {
        try! Tensor(shape: shape, scalars: values.map { T(Double($0)) })  // the count matches the shape
    }
}

extension ReferenceArray where Scalar == Double {
    /// |x| elementwise — for bounds such as |A|·|B|.
    public var magnitudes: ReferenceArray<Double> { ReferenceArray(shape: shape, values: values.map { Swift.abs($0) }) }
}

import Attend
import AttendReference

// Moving values between the engine and the reference. Only the logical-index accessor
// (`scalars`) is used, so the reference never sees the engine's strides.

extension Tensor {
    /// The logical values as a Double reference array.
    var reference: ReferenceArray<Double> {
        ReferenceArray(shape: shape, values: scalars.map { Double($0) })
    }
}

extension ReferenceArray {
    /// The values as an engine tensor of the given scalar type.
    func tensor<T: TensorScalar>(_: T.Type = T.self) -> Tensor<T> {
        try! Tensor(shape: shape, scalars: values.map { T(Double($0)) })
    }
}

extension ReferenceArray where Scalar == Double {
    /// |x| elementwise — for error bounds such as |A|·|B|.
    var magnitudes: ReferenceArray<Double> { Reference.map(self) { Swift.abs($0) } }
}

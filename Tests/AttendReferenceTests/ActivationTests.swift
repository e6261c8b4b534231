import AttendReference
import Testing

@Suite("Activations")
struct ActivationTests {
    @Test("relu clips negatives to 0")
    func relu() {
        expectClose(Reference.relu(vec([-1, 0, 2])), shape: [3], [0, 0, 2])
    }

    @Test("gelu is 0.5·x·(1 + erf(x/√2)): gelu(1) = Φ(1) = 0.8413447461")
    func gelu() {
        // Φ(1) = 0.841344746068543 (standard normal CDF); gelu(−1) = −(1 − Φ(1)).
        expectClose(
            Reference.gelu(vec([0, 1, -1])), shape: [3], [0, 0.841344746068543, -0.158655253931457], tolerance: 1e-12)
    }

    @Test("geluTanh is the tanh approximation: geluTanh(1) ≈ 0.8411920")
    func geluTanh() {
        expectClose(
            Reference.geluTanh(vec([0, 1, -1])), shape: [3], [0, 0.841191990608, -0.158808009392], tolerance: 1e-9)
    }

    @Test("activate dispatches on ReferenceActivation")
    func dispatch() {
        let x = vec([-2, 0.5, 3])
        #expect(Reference.activate(x, .relu) == Reference.relu(x))
        #expect(Reference.activate(x, .gelu) == Reference.gelu(x))
        #expect(Reference.activate(x, .geluTanh) == Reference.geluTanh(x))
    }

    @Test("large inputs: gelu ≈ x for large x and ≈ 0 for very negative x")
    func tails() {
        let y = Reference.gelu(vec([10, -10]))
        #expect(abs(y.values[0] - 10) < 1e-12)
        #expect(abs(y.values[1]) < 1e-12)
    }
}

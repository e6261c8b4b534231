import AttendReference
import Foundation
import Testing

@Suite("Sinusoidal positional encoding")
struct PositionalEncodingTests {
    @Test("position 0 is [0, 1, 0, 1, …]")
    func positionZero() {
        let pe: RA = Reference.sinusoidalPositionalEncoding(length: 3, dim: 6)
        #expect(pe.shape == [3, 6])
        #expect(Array(pe.values[0..<6]) == [0, 1, 0, 1, 0, 1])
    }

    @Test("PE[1, 0] = sin 1, PE[1, 1] = cos 1, higher pairs use 10000^(2i/D)")
    func positionOne() {
        let pe: RA = Reference.sinusoidalPositionalEncoding(length: 3, dim: 6)
        #expect(abs(pe[[1, 0]] - sin(1.0)) < 1e-15)
        #expect(abs(pe[[1, 1]] - cos(1.0)) < 1e-15)
        // i = 1: 10000^(2/6) = 21.5443469…; i = 2: 10000^(4/6) = 464.158883…
        #expect(abs(pe[[1, 2]] - sin(1 / 21.544346900318832)) < 1e-14)
        #expect(abs(pe[[1, 3]] - cos(1 / 21.544346900318832)) < 1e-14)
        #expect(abs(pe[[2, 4]] - sin(2 / 464.15888336127773)) < 1e-14)
        #expect(abs(pe[[2, 5]] - cos(2 / 464.15888336127773)) < 1e-14)
    }

    @Test("an odd dim ends with a sine column; Float works")
    func oddAndFloat() {
        let pe = Reference.sinusoidalPositionalEncoding(length: 2, dim: 5, as: Float.self)
        #expect(pe.shape == [2, 5])
        #expect(pe.values[0..<5].elementsEqual([0, 1, 0, 1, 0]))
        #expect(abs(pe[[1, 0]] - sin(Float(1))) < 1e-6)
    }
}

import RealModule

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose stream is
/// the same on every machine and every run for a given seed — unlike
/// `SystemRandomNumberGenerator`. Pass it explicitly (`using: &generator`) so every random
/// draw in a program is reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 bits of the xoshiro256** stream: `rotl(s₁ · 5, 7) · 9`, then the state advances
    /// (`RandomNumberGenerator`'s requirement; every draw of a ``Tensor`` factory goes through it).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller on two uniforms, computed in Double).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1]: log is finite
        let u2 = nextUnit()
        return Double.sqrt(-2 * Double.log(u1)) * Double.cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// Standard normal samples N(0, 1) of the given shape, drawn from `generator`.
    public static func randn(_ shape: [Int], using generator: inout SeededGenerator) -> Tensor {
        var values = [Scalar]()
        values.reserveCapacity(shape.product)
        for _ in 0..<shape.product { values.append(Scalar(generator.nextNormal())) }
        return try! Tensor(shape: shape, scalars: values)  // count matches by construction
    }

    /// Uniform samples in [low, high) of the given shape, drawn from `generator`.
    public static func uniform(
        _ shape: [Int], low: Scalar = 0, high: Scalar = 1, using generator: inout SeededGenerator
    ) -> Tensor {
        var values = [Scalar]()
        values.reserveCapacity(shape.product)
        for _ in 0..<shape.product {
            values.append(low + (high - low) * Scalar(generator.nextUnit()))
        }
        return try! Tensor(shape: shape, scalars: values)  // count matches by construction
    }
}

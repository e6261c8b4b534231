import RealModule

/// Rotary position embedding (RoFormer, Su et al. 2021): the features of a vector at position p
/// are taken in pairs and pair i is rotated by the angle θᵢ·p with θᵢ = base^(−2i/D), i < D/2:
///
///     (x₁, x₂) → (x₁·cos θᵢp − x₂·sin θᵢp,  x₁·sin θᵢp + x₂·cos θᵢp)
///
/// so that ⟨RoPE(q, p), RoPE(k, p′)⟩ depends only on p − p′. Which features form pair i:
/// - ``Pairing/adjacent``: (x[2i], x[2i+1]) — the original paper, GPT-J, and llama.cpp /
///   GGUF files (llama.cpp's converter permutes the Q and K projection rows so that this form
///   gives Hugging Face's result);
/// - ``Pairing/halfSplit``: (x[i], x[i + D/2]) — Hugging Face's Llama (`rotate_half`).
///
/// The two agree once the features are permuted; applying the wrong one to a model's weights
/// gives plausible-looking but wrong attention. Angles are computed in Double.
///
/// A model trained for a longer context than its base frequencies cover carries a ``Scaling``:
/// linear position interpolation, angle = (p / factor)·θᵢ, or one divisor per pair,
/// angle = p·θᵢ / dᵢ (Llama 3's frequency scaling, stored in GGUF as `rope_freqs.weight`).
/// - SeeAlso: `Reference.rotaryEmbedding` in AttendReference.
public struct RotaryEmbedding: Sendable {
    /// Which two features of a `D`-wide vector form rotation pair i (see the type's discussion).
    public enum Pairing: String, Sendable, CaseIterable {
        /// ``adjacent``: (x[2i], x[2i+1]) — RoFormer, GPT-J, llama.cpp/GGUF. ``halfSplit``: (x[i], x[i + D/2])
        /// — Hugging Face's `rotate_half`.
        case adjacent, halfSplit
    }

    /// How the angles of a model trained for long contexts are stretched.
    public enum Scaling: Sendable, Equatable {
        /// angle = p·θᵢ.
        case none
        /// Linear position interpolation, angle = (p / factor)·θᵢ (GGUF `rope.scaling.type = "linear"`).
        case linear(factor: Double)
        /// One divisor dᵢ per pair, angle = p·θᵢ / dᵢ (D/2 values; GGUF's `rope_freqs.weight`, which
        /// is how Llama 3's "llama3" frequency scaling reaches a GGUF file).
        case frequencyDivisors([Double])
    }

    /// D, the rotated feature count (even).
    public let dimension: Int
    /// The angle base: pair i turns by θᵢ·p with θᵢ = base^(−2i/D) (Llama's `rope_theta`, 10 000 by default).
    public let base: Double
    /// Which features are rotated together.
    public let pairing: Pairing
    /// How the angles are stretched (``Scaling/none`` for the plain embedding).
    public let scaling: Scaling

    /// A rotation of D = `dimension` features in D/2 pairs chosen by `pairing`, θᵢ = base^(−2i/D),
    /// the angles stretched by `scaling`.
    /// - Throws: ``TensorError`` when `dimension` is not positive and even, `base` is not > 0, a
    ///   linear factor is not a positive finite number, or the divisors are not D/2 positive finite numbers.
    public init(dimension: Int, base: Double = 10_000, pairing: Pairing, scaling: Scaling = .none) throws {
        guard dimension > 0, dimension % 2 == 0, base > 0, base.isFinite else {
            throw TensorError(
                op: "RotaryEmbedding", "dimension \(dimension) must be positive and even and base \(base) positive")
        }
        switch scaling {
        case .none: break
        case .linear(let factor):
            guard factor > 0, factor.isFinite else {
                throw TensorError(op: "RotaryEmbedding", "linear scaling factor \(factor) must be positive and finite")
            }
        case .frequencyDivisors(let divisors):
            guard divisors.count == dimension / 2 else {
                throw TensorError(
                    op: "RotaryEmbedding",
                    "\(divisors.count) frequency divisors given; D = \(dimension) has \(dimension / 2) pairs, one divisor each"
                )
            }
            if let bad = divisors.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                throw TensorError(
                    op: "RotaryEmbedding",
                    "frequency divisor \(bad) is \(divisors[bad]); divisors must be positive and finite")
            }
        }
        self.dimension = dimension
        self.base = base
        self.pairing = pairing
        self.scaling = scaling
    }

    /// The angle of pair i at position p: p·θᵢ, stretched by ``scaling``.
    public func angle(position: Int, pair i: Int) -> Double {
        let theta = Self.frequency(i, dimension: dimension, base: base)
        return switch scaling {
        case .none: Double(position) * theta
        case .linear(let factor): Double(position) / factor * theta
        case .frequencyDivisors(let divisors): Double(position) * theta / divisors[i]
        }
    }

    /// Rotates `x [..., L, D]`; row l (along dimension −2) is at position `positionOffset + l`
    /// (the offset is the cached history's length when decoding).
    /// - Throws: ``TensorError`` when the last dimension is not D or the offset is negative.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction<Scalar: TensorScalar>(_ x: Tensor<Scalar>, positionOffset: Int = 0) throws -> Tensor<
        Scalar
    > {
        guard x.rank >= 2, x.shape[x.rank - 1] == dimension else {
            throw TensorError(
                op: "RotaryEmbedding", "input \(describe(x.shape)) must be [..., L, D] with D = \(dimension)")
        }
        guard positionOffset >= 0 else {
            throw TensorError(op: "RotaryEmbedding", "position offset \(positionOffset) is negative")
        }
        let length = x.shape[x.rank - 2]
        let half = dimension / 2
        // cos/sin table [L, D/2].
        var cosines = [Scalar](repeating: 0, count: length * half)
        var sines = cosines
        for l in 0..<length {
            for i in 0..<half {
                let angle = self.angle(position: positionOffset + l, pair: i)
                cosines[l * half + i] = Scalar(Double.cos(angle))
                sines[l * half + i] = Scalar(Double.sin(angle))
            }
        }
        let source = x.contiguous()
        let result = Tensor<Scalar>(shape: x.shape)
        let (first, second) =
            pairing == .adjacent
            ? ((0..<half).map { 2 * $0 }, (0..<half).map { 2 * $0 + 1 })
            : (Array(0..<half), (0..<half).map { $0 + half })
        withExtendedLifetime(source) {
            let input = source.storage.pointer + source.offset
            let output = result.storage.pointer
            for row in 0..<(x.count / dimension) {
                let l = row % length
                let base = row * dimension
                for i in 0..<half {
                    let c = cosines[l * half + i]
                    let s = sines[l * half + i]
                    let a = input[base + first[i]]
                    let b = input[base + second[i]]
                    output[base + first[i]] = a * c - b * s
                    output[base + second[i]] = a * s + b * c
                }
            }
        }
        return result
    }

    /// θᵢ = base^(−2i/D).
    static func frequency(_ i: Int, dimension: Int, base: Double) -> Double {
        1 / Double.pow(base, Double(2 * i) / Double(dimension))
    }
}

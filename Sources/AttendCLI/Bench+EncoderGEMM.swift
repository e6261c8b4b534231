import Attend
import Foundation

/// `attend bench`'s encoder GEMM cases: the four products of a BERT-small layer (all-MiniLM-L6-v2:
/// E = 384, F = 1536) through the public `linear(x [M, K], weight [N, K], bias)`: a new output
/// filled with the bias, then one GEMM (beta = 1) split into row slabs over the workers — the
/// packed encoder's GEMM plus the output's allocation — for M = 640 tokens (32 sentences of 20)
/// and M = 2048 (one default token budget):
///
///     gemm (M,384,1152)   QKV        gemm (M,384,384)    attention output
///     gemm (M,384,1536)   FF up      gemm (M,1536,384)   FF down
///
/// GFLOPS = 2·M·K·N / time; `scripts/bench_embeddings.py --gemm` times PyTorch's `F.linear` on
/// the same shapes in its own process.
extension Bench {
    static let encoderGEMMShapes: [(m: Int, k: Int, n: Int)] = [640, 2048].flatMap { m in
        [(384, 1152), (384, 384), (384, 1536), (1536, 384)].map { (m, $0.0, $0.1) }
    }

    static func gemmName(_ m: Int, _ k: Int, _ n: Int) -> String { "gemm (\(m),\(k),\(n))" }

    /// Runs the GEMM cases whose name passes `--case`.
    func runEncoderGEMMCases(fmaPeak: Double) throws {
        for (m, k, n) in Self.encoderGEMMShapes {
            let name = Self.gemmName(m, k, n)
            if let filter, !name.contains(filter) { continue }
            var generator = SeededGenerator(seed: 7)
            let x = Tensor<Float>.randn([m, k], using: &generator)
            let weight = Tensor<Float>.randn([n, k], using: &generator)
            let bias = Tensor<Float>.randn([n], using: &generator)
            let seconds = try Self.medianSeconds(repeats: repeats, atLeast: 5) {
                _ = try linear(x, weight: weight, bias: bias)
            }
            let gflops = 2 * Double(m) * Double(k) * Double(n) / seconds / 1e9
            if json {
                print(
                    #"{"case":"gemm","m":\#(m),"k":\#(k),"n":\#(n),"ms":\#(seconds * 1000),"gflops":\#(gflops),"percent_of_peak":\#(fmaPeak.isNaN ? "null" : String(100 * gflops / fmaPeak)),"threads":\#(Parallelism.threadCount)}"#
                )
            } else {
                print(
                    name.padding(toLength: 30, withPad: " ", startingAt: 0)
                        + String(format: "%9.3f  %9.1f  ", seconds * 1000, gflops)
                        + (fmaPeak.isNaN ? "     —" : String(format: "%5.0f%%", 100 * gflops / fmaPeak)))
            }
        }
    }
}

import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run sqdist`: pairwise squared distances.

/// `--method` for the distance op.
enum DistanceMethodArgument: String, ExpressibleByArgument, CaseIterable {
    case automatic, broadcasting, gemm

    var method: DistanceMethod {
        switch self {
        case .automatic: .automatic
        case .broadcasting: .broadcasting
        case .gemm: .gemm
        }
    }
}

struct RunSquaredDistances: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqdist",
        abstract: "Pairwise squared Euclidean distances: out[..., n, m] = Σ_d (a[..., n, d] − b[..., m, d])².",
        discussion: """
            attend run sqdist --input a.npy --input b.npy --output out.npy

            a [..., N, D], b [..., M, D] → [..., N, M]. --method gemm uses ‖a‖² + ‖b‖² − 2·a·bᵀ (one GEMM; it loses digits when the points are far from the origin — add --centered); broadcasting sums (a − b)² directly; automatic picks by size. The reference backend always sums (a − b)².
            """)

    @Option(name: .customLong("input"), help: ArgumentHelp("a, then b (give --input twice).", valueName: "a.npy"))
    var inputs: [String] = []

    @Option(help: "automatic, broadcasting or gemm.")
    var method: DistanceMethodArgument = .automatic

    @Flag(help: "Subtract the points' common mean first (for --method gemm).")
    var centered = false

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "sqdist", options: options)
        let files = try operands(inputs, count: 2, session: session, names: "a.npy and b.npy")
        let label = "\(files[0].label), \(files[1].label)"
        try session.run(
            files, attributingTo: label,
            blas: { try squaredDistances($0[0], $0[1], method: method.method, centered: centered) },
            reference: { try Reference.squaredDistances($0[0], $0[1]) })
    }
}

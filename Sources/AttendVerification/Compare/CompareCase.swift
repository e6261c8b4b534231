import Attend

/// One row of the compare table: an op on particular inputs.
public struct CompareCase {
    /// Which op the case runs.
    public let op: CompareOp
    /// What the case is, in words (`seed 000 Q·Kᵀ (K a transposed view)`).
    public let name: String
    /// The shapes, compactly: `[2,8,512,64]×3`.
    public let shapes: String
    /// Generates the inputs from the generator (random cases) and measures the three paths.
    public let measure: (inout SeededGenerator) throws -> CaseMeasurement
    /// For cases on the user's files (`--inputs`): what an error is attributed to. A library
    /// error there is bad input (exit 2); in a random case it is a failure of the case.
    public var userInputs: String? = nil

    /// A case of `op` named `name` on `shapes`, measured by `measure`.
    public init(
        op: CompareOp, name: String, shapes: String,
        measure: @escaping (inout SeededGenerator) throws -> CaseMeasurement
    ) {
        self.op = op
        self.name = name
        self.shapes = shapes
        self.measure = measure
    }

    /// A seed for this case derived from the run's seed and the case's identity, so a case gets
    /// the same data whether it runs alone (`--op`) or with all the others.
    public func seed(base: UInt64) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in "\(op.rawValue)/\(name)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return base ^ hash
    }
}

/// `[2,4,10,32]`
func compactShape(_ shape: [Int]) -> String { formatShape(shape, separator: ",") }

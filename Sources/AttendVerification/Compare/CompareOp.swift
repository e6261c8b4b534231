/// The ops `attend compare` knows, with the `--shape` syntax of each.
public enum CompareOp: String, CaseIterable {
    /// The ops by the name `attend compare --op` takes (the raw value): `matmul` … `layernorm`, each
    /// against its AttendReference twin.
    case matmul, einsum, softmax, logsoftmax, sum, mean, std, linear, sqdist, conv1d, conv2d, patchify, sdpa, mha,
        layernorm
    /// One `TransformerEncoderLayer` (`--op encoder-layer`).
    case encoderLayer = "encoder-layer"

    /// Every op's name, comma-separated (for help texts and error messages).
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// What `--shape` means for this op (shown by `attend compare --help`).
    public var shapeSyntax: String {
        switch self {
        case .matmul:
            "[batch…,]M,K,N — A [batch…, M, K] · B, B a transposed view of a contiguous [batch…, N, K] (2,4,10,32,10 is seed 000's Q·Kᵀ)"
        case .einsum:
            "B,H,L,D for \"bhld,bhmd->bhlm\"; with --equation, one shape per operand separated by ';' (e.g. 3,4;4,5)"
        case .softmax, .logsoftmax: "the input's shape (normalized over --dim, default -1)"
        case .sum, .mean, .std: "the input's shape (reduced over --dim, default -1)"
        case .linear: "[batch…,]in,out — x [batch…, in], weight [out, in], bias [out]"
        case .sqdist: "[batch…,]N,M,D — a [batch…, N, D], b [batch…, M, D]; both methods"
        case .conv1d: "N,K[,stride] — signal [N], kernel [K]"
        case .conv2d: "B,C,H,W,O,k[,stride,padding] — input [B, C, H, W], weight [O, C, k, k], bias [O]"
        case .patchify: "B,C,H,W,P — image [B, C, H, W], patch side P"
        case .sdpa: "B,H,L,D (q = k = v shape) or B,H,Lq,Lk,Dk,Dv"
        case .mha: "B,L,E,H — self-attention, embedDim E, H heads"
        case .layernorm: "the input's shape (normalized over the last dimension, random affine parameters)"
        case .encoderLayer: "B,L,E,H,F — x [B, L, E], H heads, feed-forward width F"
        }
    }
}

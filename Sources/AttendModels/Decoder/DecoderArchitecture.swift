import Attend

/// The decoder families a GGUF file can name in `general.architecture` that ``LlamaDecoder`` runs.
/// Both are pre-norm RMSNorm → grouped-query attention with RoPE → SwiGLU blocks; they differ in
/// what llama.cpp's converter stored:
///
/// | architecture | metadata keys | rotary pairs | Q/K/V bias |
/// |---|---|---|---|
/// | `llama` (Llama 2/3, SmolLM2, Mistral-style) | `llama.*` | adjacent (the converter permutes Q/K rows) | when present |
/// | `qwen2` (Qwen2, Qwen2.5) | `qwen2.*` | half-split (NeoX; rows as trained) | yes |
public enum DecoderArchitecture: String, Sendable, CaseIterable {
    /// Meta's Llama layout (also SmolLM2, TinyLlama with a BPE vocabulary, Llama 3).
    case llama
    /// Alibaba's Qwen2 layout: Llama's blocks with biases on the query, key and value projections
    /// and half-split rotary pairs.
    case qwen2

    /// Which features the rotary embedding turns together in this architecture's GGUF tensors.
    public var rotaryPairing: RotaryEmbedding.Pairing {
        switch self {
        case .llama: .adjacent
        case .qwen2: .halfSplit
        }
    }

    /// Whether the architecture's files always carry `attn_q.bias`, `attn_k.bias` and `attn_v.bias`.
    public var requiresAttentionBias: Bool { self == .qwen2 }
}

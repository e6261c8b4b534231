import AttendModels
import Foundation
import Hummingbird

extension AttendAPI {
    /// `POST /v1/embeddings`: checks the request, tokenizes each input, embeds them in a batch
    /// shared with concurrent requests, and answers in the format asked for.
    ///
    /// Token-id inputs are a text's WordPiece ids without `[CLS]`/`[SEP]`, which are added. An
    /// input longer than the model's limit (special tokens included) is refused unless the request
    /// sets `"truncate": true` (Attend's extension), which keeps its first pieces.
    func embeddingsResponse(_ request: Request) async throws -> Response {
        let body = try await JSONRequestBody.decode(EmbeddingsRequest.self, from: request, limit: limits.maxBodyBytes)
        guard let served = models.embedding, served.answers(to: body.model), let embeddings else {
            throw APIError.modelNotFound(body.model, served: models.ids)
        }
        let embedder = served.model
        let count = body.input.count
        guard count >= 1 else {
            throw APIError.invalidRequest("'input' is an empty list; give at least one input", param: "input")
        }
        guard count <= limits.maxEmbeddingInputs else {
            throw APIError.invalidRequest(
                "'input' has \(count) items; a request may carry at most \(limits.maxEmbeddingInputs)", param: "input")
        }
        let dimension = embedder.dimension
        if let dimensions = body.dimensions, !(1...dimension).contains(dimensions) {
            throw APIError.invalidRequest(
                "'dimensions' must be between 1 and the model's \(dimension), got \(dimensions)", param: "dimensions")
        }
        let sequences = try tokenize(body.input, tokenizer: embedder.tokenizer, truncate: body.truncate ?? false)
        let vectors = try await embeddings.embed(sequences)
        let tokens = sequences.reduce(0) { $0 + $1.count }
        metrics.embeddingInputs.increment(by: Int64(count))
        let format = body.encodingFormat ?? .float
        let data = vectors.enumerated().map { index, vector in
            EmbeddingsResponse.Item(
                index: index,
                embedding: .init(truncatedEmbedding(vector, dimensions: body.dimensions ?? dimension), format: format))
        }
        return try jsonResponse(
            EmbeddingsResponse(
                data: data, model: served.id, usage: .init(promptTokens: tokens, totalTokens: tokens)))
    }

    /// Each input as `[CLS] … [SEP]` ids within the tokenizer's limit.
    private func tokenize(_ input: EmbeddingsRequest.Input, tokenizer: BertTokenizer, truncate: Bool) throws -> [[Int]]
    {
        let limit = tokenizer.maxLength
        func overLimit(_ index: Int, _ length: Int) -> APIError {
            APIError.invalidRequest(
                "input[\(index)] has \(length) tokens with [CLS] and [SEP]; the model's limit is \(limit) (send \"truncate\": true to cut inputs to it)",
                param: "input", code: "context_length_exceeded")
        }
        switch input {
        case .texts(let texts):
            return try texts.enumerated().map { index, text in
                guard !text.isEmpty else {
                    throw APIError.invalidRequest("input[\(index)] is an empty string", param: "input")
                }
                let ids = tokenizer.encode(text, truncating: false)  // [CLS] pieces [SEP]
                guard ids.count > limit else { return ids }
                guard truncate else { throw overLimit(index, ids.count) }
                return Array(ids.prefix(limit - 1)) + [tokenizer.separatorID]  // the first limit − 2 pieces
            }
        case .tokens(let sequences):
            let vocabulary = tokenizer.wordPiece.tokens.count
            return try sequences.enumerated().map { index, ids in
                guard !ids.isEmpty else {
                    throw APIError.invalidRequest("input[\(index)] is an empty list of token ids", param: "input")
                }
                if let bad = ids.first(where: { !(0..<vocabulary).contains($0) }) {
                    throw APIError.invalidRequest(
                        "input[\(index)] holds token id \(bad), outside the vocabulary 0..<\(vocabulary)",
                        param: "input")
                }
                var pieces = ids
                if pieces.count + 2 > limit {
                    guard truncate else { throw overLimit(index, pieces.count + 2) }
                    pieces = Array(pieces.prefix(limit - 2))
                }
                return [tokenizer.classifierID] + pieces + [tokenizer.separatorID]
            }
        }
    }
}

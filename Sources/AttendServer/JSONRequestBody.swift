import Foundation
import Hummingbird

/// Reading a request's JSON body as a stranger sent it: at most `limit` bytes (a declared
/// `Content-Length` over the limit is refused before a byte is read; a body that grows past it is
/// refused as soon as it does), valid UTF-8, valid JSON, then the request type — every failure a
/// 4xx ``APIError`` naming the field and the rule.
enum JSONRequestBody {
    /// The body of `request` decoded as `T`.
    /// - Throws: ``APIError``: 413 over `limit`, 400 for an empty body, invalid UTF-8, invalid JSON or
    ///   a field that is missing or of the wrong type.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw bodyTooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw bodyTooLarge(limit)
        } catch {
            throw APIError.invalidRequest("The request body could not be read: \(error)")
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// `data` decoded as `T`, with the errors of ``decode(_:from:limit:)``.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else {
            throw APIError.invalidRequest("The request body is empty; a JSON object is expected")
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw APIError.invalidRequest("The request body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) != nil
            {
                // Valid JSON the decoder still refused: a number that does not fit its field.
                throw APIError.invalidRequest(
                    "A number in the request does not fit its field: integer fields take whole numbers within 64 bits",
                    code: "invalid_type")
            }
            throw APIError(decoding: error)
        } catch {
            throw APIError.invalidRequest("The request body is not valid JSON: \(error)")
        }
    }

    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "The request body is larger than the server's limit of \(limit) bytes",
            type: "invalid_request_error", code: "request_too_large")
    }
}

extension APIError {
    /// A 400 for what `JSONDecoder` found: the field's path (`messages[0].content`) as `param`.
    init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            self = .invalidRequest(
                "Missing required parameter: '\(field)'", param: field, code: "missing_required_parameter")
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            self = .invalidRequest("The request body must be a JSON object: \(context.debugDescription)")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context.codingPath)
            self = .invalidRequest(
                "Invalid type for '\(field)': \(context.debugDescription)", param: field, code: "invalid_type")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self = .invalidRequest("The request body is not valid JSON: \(Self.underlying(context))")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            self = .invalidRequest(
                "Invalid value for '\(field)': \(context.debugDescription)", param: field, code: "invalid_value")
        @unknown default:
            self = .invalidRequest("The request body could not be decoded: \(error)")
        }
    }

    private static func underlying(_ context: DecodingError.Context) -> String {
        if let underlying = context.underlyingError { return "\(underlying)" }
        return context.debugDescription
    }
}

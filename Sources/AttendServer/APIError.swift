import Foundation
import Hummingbird

/// A request the server refuses, in OpenAI's error format:
///
///     HTTP <status>
///     {"error": {"message": "…", "type": "invalid_request_error", "param": "messages", "code": null}}
///
/// `message` names what is wrong and the rule it breaks; `param` is the request field at fault
/// (a JSON path such as `messages[2].role`), when there is one.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status: 4xx for the client's mistakes, 5xx for the server's.
    public var status: HTTPResponse.Status
    /// What is wrong, for a person.
    public var message: String
    /// OpenAI's error class: `invalid_request_error`, `authentication_error`, `not_found_error`,
    /// `rate_limit_error` or `server_error`.
    public var type: String
    /// The request field at fault, if any.
    public var param: String?
    /// A stable machine-readable code (`model_not_found`, `context_length_exceeded`, …), if any.
    public var code: String?
    /// Extra response headers (`Retry-After` with 429).
    public var headers: HTTPFields = [:]

    /// An error with every field given.
    public init(
        status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// 400: the request breaks a rule of the API.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 404: the request names a model the server does not serve.
    public static func modelNotFound(_ model: String, served: [String]) -> APIError {
        APIError(
            status: .notFound,
            message:
                "The model '\(model)' does not exist or is not served here; served models: \(served.joined(separator: ", "))",
            type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// 429: the server's queue is full; try again after `retryAfter` seconds.
    public static func queueFull(_ what: String, limit: Int, retryAfter: Int = 1) -> APIError {
        var error = APIError(
            status: .tooManyRequests,
            message:
                "The server is busy: \(limit) \(what) are already waiting (the limit); retry after \(retryAfter) s",
            type: "rate_limit_error", code: "queue_full")
        error.headers[.retryAfter] = String(retryAfter)
        return error
    }

    /// The response: the status, `headers` and the JSON body.
    public func response() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = ErrorBody(error: .init(message: message, type: type, param: param, code: code))
        let data =
            (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"message":"error","type":"server_error"}}"#.utf8)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `{"error": {...}}` — OpenAI's error body; `param` and `code` are written as `null` when absent.
struct ErrorBody: Codable, Equatable {
    struct Detail: Codable, Equatable {
        var message: String
        var type: String
        var param: String?
        var code: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }
    }
    var error: Detail
}

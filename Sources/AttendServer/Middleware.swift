import Foundation
import Hummingbird
import Logging

/// Turns every error a route throws into a JSON error response: an ``APIError`` as it is,
/// Hummingbird's own (an unknown route, a method the route does not take) with its status, and
/// anything else as a 500 whose details go to the log, not to the client.
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as any HTTPResponseError {
            let status = error.status
            let message: String
            let type: String
            switch status {
            case .notFound:
                message = "Unknown route: \(request.method) \(request.uri.path)"
                type = "not_found_error"
            case .methodNotAllowed:
                message = "\(request.uri.path) does not take \(request.method)"
                type = "invalid_request_error"
            case .contentTooLarge:
                message = "The request body is too large"
                type = "invalid_request_error"
            default:
                message = status.reasonPhrase
                type = status.code >= 500 ? "server_error" : "invalid_request_error"
            }
            return APIError(status: status, message: message, type: type).response()
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(error)")
            return APIError(status: .internalServerError, message: "Internal server error", type: "server_error")
                .response()
        }
    }
}

/// Requires `Authorization: Bearer <key>` on every request whose path starts with
/// `protectedPrefix`; the key is compared in time independent of where it differs.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String
    let protectedPrefix: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix(protectedPrefix) else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix),
            Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(key.utf8))
        else {
            throw APIError(
                status: .unauthorized,
                message: header.isEmpty
                    ? "Missing API key: send 'Authorization: Bearer <key>'" : "Incorrect API key provided",
                type: "invalid_request_error", code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    /// a == b, reading every byte of both whatever they hold (the lengths are not secret).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= UInt((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        return difference == 0
    }
}

/// One log line per request (`POST /v1/embeddings 200 3.1 ms`) and its metrics.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware answers every error; this is a response Hummingbird writes itself.
            log(request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
        log(request, context: context, status: response.status.code, since: start)
        return response
    }

    private func log(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.record(route: route, status: status, duration: elapsed)
        let milliseconds = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        logger.info("\(request.method) \(request.uri.path) \(status) \(String(format: "%.1f", milliseconds)) ms")
    }
}

import Foundation
import Hummingbird

/// Reads a JSON request body into a request type, turning every way it can be wrong into a 400
/// whose message and `param` say what to fix.
enum RequestDecoding {
    /// Collects the body (at most `limit` bytes; more is a 413) and decodes it. The body is
    /// kept in `request` with its connection, which a streamed response needs to notice the
    /// client hanging up (`consumeWithCancellationOnInboundClose`).
    static func decode<Body: Decodable>(_ type: Body.Type, from request: inout Request, limit: Int) async throws -> Body {
        let buffer = try await request.collectBody(upTo: limit)
        return try decode(type, from: Array(buffer.readableBytesView))
    }

    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) throws(APIError) -> Body {
        if bytes.isEmpty {
            throw .invalidRequest("The request body is empty; send a JSON object.")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .invalidRequest("The request body is not valid UTF-8; send JSON text encoded as UTF-8.")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw apiError(for: error)
        } catch {
            throw .invalidRequest("The request body could not be read: \(error)")
        }
    }

    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case let .keyNotFound(key, context):
            let param = path(context.codingPath + [key])
            return .invalidRequest("Missing required parameter: '\(param)'.", param: param)
        case let .valueNotFound(type, context):
            let param = path(context.codingPath)
            return .invalidRequest("'\(param)' is null, but it must be \(describe(type)).", param: param)
        case let .typeMismatch(type, context):
            if context.codingPath.isEmpty {
                return .invalidRequest("The request body must be a JSON object.")
            }
            let param = path(context.codingPath)
            return .invalidRequest("Invalid type for '\(param)': expected \(describe(type)).", param: param)
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                return .invalidRequest(
                    "We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON."
                )
            }
            let param = path(context.codingPath)
            return .invalidRequest("Invalid value for '\(param)': \(context.debugDescription)", param: param)
        @unknown default:
            return .invalidRequest("The request body could not be decoded: \(error)")
        }
    }

    /// `messages[0].content` from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is Float.Type, is Double.Type: "a number"
        case is String.Type: "a string"
        case is [String].Type: "a string or an array of strings"
        case is [[Int]].Type: "a string, an array of strings, or an array of token ids"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }
}

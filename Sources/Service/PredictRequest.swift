#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP1
import Imaging
import JSON

/// A `/predict` request turned into encoded images with their declared headers: every body
/// form of the contract, and the query. Nothing is decoded yet: the caller reserves memory for
/// what the headers declare, then decodes the images one at a time.
struct PredictRequest {
    /// One image as sent, and what its header declares.
    struct Payload {
        var bytes: [UInt8]
        var format: ImageFormat?
        var header: ImageHeader
    }

    /// Images in the order given; `isBatch` when the body named a list (`images`, `instances`).
    var payloads: [Payload]
    var isBatch: Bool
    var normalize: MNISTNormalizer.Mode
    /// Report the k most probable digits (1...10), or nil.
    var top: Int?
    /// Return the 28x28 input the network saw.
    var includeInput: Bool

    /// The media types a body may declare; anything else is 415.
    static let supportedTypes = [
        "application/octet-stream", "image/png", "image/jpeg", "image/x-portable-graymap", "application/json",
        "text/plain", "multipart/form-data",
    ]

    /// Declared types that say nothing about the content, so the content decides.
    static let genericTypes: Set<String> = [
        "application/x-www-form-urlencoded", "application/binary", "binary/octet-stream", "*/*", "application/unknown",
    ]

    /// What a request's body is checked against before its images are decoded.
    struct Limits {
        var decode: DecodeLimits
        var maxImages: Int
        /// Pixels all the images of a request may declare together.
        var maxPixels: Int
        var json: JSONShape
    }

    /// The pixels all the images declare.
    var declaredPixels: Int { payloads.reduce(0) { $0 + $1.header.pixels } }

    /// Bytes that turning `request`'s body into encoded images holds besides the body itself:
    /// a JSON body is materialized by the parser (its strings, about the body's size) and its
    /// base64 decoded (three quarters of that); a base64 text or multipart body is copied out
    /// once; a binary image is used in place.
    static func materializingBytes(_ request: HTTPRequest) -> Int {
        let essence = request.headers["content-type"].flatMap { MediaType(parsing: $0) }?.essence
        switch essence {
        case "application/json": return 2 * request.body.count
        case "application/octet-stream", "image/png", "image/x-portable-graymap", "image/x-pgm", "image/pgm",
             "image/x-portable-anymap":
            return 0
        default: return request.body.count
        }
    }

    /// - Throws: `HTTPError` with the contract's status: 400 malformed, 413 over a limit (the
    ///   batch size, the pixel caps per image and per request, the JSON value count), 415,
    ///   422 unusable.
    static func parse(_ request: HTTPRequest, limits: Limits) throws -> PredictRequest {
        let normalize: MNISTNormalizer.Mode
        switch request.queryValue("normalize")?.lowercased() {
        case nil, "auto": normalize = .auto
        case "off": normalize = .off
        case let other?:
            throw HTTPError(status: 400, title: "Bad query parameter", detail: "normalize must be auto or off, not '\(other)'")
        }
        var top: Int?
        if let text = request.queryValue("top") {
            guard let k = Int(text), (1...10).contains(k) else {
                throw HTTPError(status: 400, title: "Bad query parameter", detail: "top must be an integer in 1...10, not '\(text)'")
            }
            top = k
        }
        let includeInput: Bool
        switch request.queryValue("include_input")?.lowercased() {
        case nil, "false", "0": includeInput = false
        case "true", "1", "": includeInput = true
        case let other?:
            throw HTTPError(status: 400, title: "Bad query parameter", detail: "include_input must be true or false, not '\(other)'")
        }

        guard !request.body.isEmpty else {
            throw HTTPError(status: 422, title: "Empty body", detail: "the request body is empty: send an image (PNG, JPEG, PGM, 784 raw bytes, base64 or JSON)")
        }
        var payloads: [(bytes: [UInt8], format: ImageFormat?)] = []
        var isBatch = false
        let declared = request.headers["content-type"].flatMap { MediaType(parsing: $0) }
        if request.headers["content-type"] != nil && declared == nil {
            throw HTTPError(status: 400, title: "Bad Content-Type", detail: "Content-Type '\(request.headers["content-type"]!)' is not a media type")
        }
        // No type, or one that says nothing about the bytes (`*/*`, form defaults): sniff.
        let specificType = declared.flatMap { genericTypes.contains($0.essence) ? nil : $0.essence }
        switch specificType {
        case nil:
            payloads = [sniffed(request.body)]
        case "application/octet-stream":
            payloads = [(request.body, .raw784)]
        case "image/png", "image/x-portable-graymap", "image/x-pgm", "image/pgm", "image/x-portable-anymap",
             "image/jpeg", "image/jpg", "image/pjpeg":
            payloads = [(request.body, ImageFormat(mediaType: declared!.essence))]
        case "application/json":
            if let problem = limits.json.problem(request.body) { throw problem }
            (payloads, isBatch) = try jsonPayloads(request.body)
        case "text/plain":
            payloads = [try base64Payload(request.body, field: "body")]
        case "multipart/form-data":
            payloads = [try multipartPayload(request.body, mediaType: declared!)]
        case let other?:
            throw HTTPError(status: 415, title: "Unsupported media type",
                            detail: "Content-Type \(other) is not accepted; send one of \(supportedTypes.joined(separator: ", "))")
        }
        guard !payloads.isEmpty else {
            throw HTTPError(status: 422, title: "No images", detail: "the request lists no images")
        }
        guard payloads.count <= limits.maxImages else {
            throw HTTPError(status: 413, title: "Batch too large",
                            detail: "the request holds \(payloads.count) images; at most \(limits.maxImages) per request")
        }
        var peeked: [Payload] = []
        peeked.reserveCapacity(payloads.count)
        var pixels = 0
        for (index, payload) in payloads.enumerated() {
            do {
                let header = try ImageDecoder.peek(payload.bytes, format: payload.format, limits: limits.decode)
                peeked.append(Payload(bytes: payload.bytes, format: payload.format, header: header))
                pixels += header.pixels
            } catch let error as ImageError {
                throw problem(for: error, index: isBatch ? index : nil)
            }
        }
        guard pixels <= limits.maxPixels else {
            throw HTTPError(status: 413, title: "Too many pixels",
                            detail: "the images declare \(pixels) pixels together; at most \(limits.maxPixels) per request")
        }
        return PredictRequest(payloads: peeked, isBatch: isBatch, normalize: normalize, top: top, includeInput: includeInput)
    }

    /// The status an imaging error maps to: 415 unsupported, 400 malformed, 422 unusable, 413 too large.
    static func problem(for error: ImageError, index: Int?) -> HTTPError {
        let where_ = index.map { "image \($0): " } ?? ""
        switch error.kind {
        case .unsupported: return HTTPError(status: 415, title: "Unsupported image", detail: where_ + error.description)
        case .malformed: return HTTPError(status: 400, title: "Malformed image", detail: where_ + error.description)
        case .unusable: return HTTPError(status: 422, title: "Unusable image", detail: where_ + error.description)
        case .tooLarge: return HTTPError(status: 413, title: "Image too large", detail: where_ + error.description)
        }
    }

    /// A body with no useful type: PNG, JPEG or PGM by magic, 784 bytes as raw, else base64 text.
    private static func sniffed(_ body: [UInt8]) -> (bytes: [UInt8], format: ImageFormat?) {
        if let format = ImageFormat.sniff(body) { return (body, format) }
        if let payload = try? Base64.decodePayload(body) {
            return (payload.bytes, payload.mediaType.flatMap { ImageFormat(mediaType: $0) })
        }
        return (body, nil)
    }

    private static func base64Payload<Text: Collection>(_ text: Text, field: String) throws
        -> (bytes: [UInt8], format: ImageFormat?) where Text.Element == UInt8 {
        do {
            let payload = try Base64.decodePayload(text)
            return (payload.bytes, payload.mediaType.flatMap { ImageFormat(mediaType: $0) })
        } catch let error as ImageError {
            throw HTTPError(status: 400, title: "Bad base64", detail: "\(field): \(error.description)")
        }
    }

    private static func jsonPayloads(_ body: [UInt8]) throws -> ([(bytes: [UInt8], format: ImageFormat?)], Bool) {
        let document: JSONDocument
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw HTTPError(status: 400, title: "Malformed JSON", detail: "the body is not valid JSON")
        }
        guard let fields = document.object else {
            throw HTTPError(status: 400, title: "Malformed JSON",
                            detail: "expected a JSON object with \"image\", \"images\" or \"instances\"")
        }
        let known: Set<String> = ["image", "images", "instances"]
        let present = fields.keys.filter { known.contains($0) }
        guard present.count == 1 else {
            throw HTTPError(status: 400, title: "Malformed JSON",
                            detail: present.isEmpty ? "expected one of \"image\", \"images\" or \"instances\""
                                : "give only one of \"image\", \"images\" and \"instances\"")
        }
        func string(_ value: JSONDocument, _ field: String) throws -> String {
            guard let text = value.string else {
                throw HTTPError(status: 400, title: "Malformed JSON", detail: "\(field) must be a base64 string")
            }
            return text
        }
        switch present[0] {
        case "image":
            return ([try base64Payload(Array(try string(fields["image"]!, "image").utf8), field: "image")], false)
        case "images":
            guard let list = fields["images"]?.array else {
                throw HTTPError(status: 400, title: "Malformed JSON", detail: "images must be an array of base64 strings")
            }
            return (try list.enumerated().map { index, value in
                try base64Payload(Array(try string(value, "images[\(index)]").utf8), field: "images[\(index)]")
            }, true)
        default:
            // TF Serving's REST shape: {"instances": [{"b64": "..."}]}.
            guard let list = fields["instances"]?.array else {
                throw HTTPError(status: 400, title: "Malformed JSON", detail: "instances must be an array of {\"b64\": ...} objects")
            }
            return (try list.enumerated().map { index, value in
                guard let b64 = value["b64"] else {
                    throw HTTPError(status: 400, title: "Malformed JSON", detail: "instances[\(index)] must be an object {\"b64\": \"...\"}")
                }
                return try base64Payload(Array(try string(b64, "instances[\(index)].b64").utf8), field: "instances[\(index)].b64")
            }, true)
        }
    }

    /// The first file part of a form (RFC 7578), typed by its own Content-Type or its content.
    private static func multipartPayload(_ body: [UInt8], mediaType: MediaType) throws -> (bytes: [UInt8], format: ImageFormat?) {
        guard let boundary = mediaType.parameter("boundary"), !boundary.isEmpty else {
            throw HTTPError(status: 400, title: "Malformed multipart", detail: "multipart/form-data needs a boundary parameter")
        }
        let parts: [MultipartPart]
        do {
            parts = try MultipartFormData.parse(body: body, boundary: boundary)
        } catch let error as MultipartError {
            let reason: String
            switch error {
            case .invalidBoundary: reason = "the boundary parameter is not a valid RFC 2046 boundary"
            case .missingBoundary: reason = "the body does not start with the declared boundary"
            case .missingClosingBoundary: reason = "the body ends without the closing boundary (--boundary--)"
            case .malformedPartHeaders: reason = "a part's headers are malformed"
            case .tooManyParts:
                throw HTTPError(status: 413, title: "Form too large", detail: "the form has more than 1000 parts; "
                                    + "send the image as the first file part")
            case .partHeadersTooLarge:
                throw HTTPError(status: 413, title: "Form too large", detail: "a part's header section is larger than "
                                    + "8192 bytes")
            }
            throw HTTPError(status: 400, title: "Malformed multipart", detail: reason)
        }
        guard let part = parts.first(where: { $0.filename != nil }) ?? parts.first else {
            throw HTTPError(status: 422, title: "No images", detail: "the form has no parts")
        }
        if let type = part.contentType?.essence, !genericTypes.contains(type), type != "application/octet-stream",
           let format = ImageFormat(mediaType: type) {
            return (part.body, format)
        }
        if part.contentType?.essence == "text/plain" { return try base64Payload(part.body, field: "form part") }
        return sniffed(part.body)
    }
}

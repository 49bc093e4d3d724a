import HTTP1
import Imaging
import JSON

/// `/predict`'s limits, applied to the tensor protocols (KServe v2, TF Serving REST): their
/// bodies are read up to `/predict`'s body limit, their JSON is measured before it is parsed
/// and what parsing materializes is reserved in the memory budget first, and their encoded
/// images (TF Serving's `b64`) are checked from their headers, against the per-image and
/// per-request pixel caps, and reserved before they are decoded.
struct TensorRequestLimits {
    let configuration: ServiceConfiguration
    let budget: MemoryBudget

    /// A batch at the image limit written out as numbers: 784 values and a few lists each.
    var json: JSONShape {
        JSONShape(maxDepth: 16, maxValues: configuration.maxImagesPerRequest * (784 + 32) + 64)
    }

    /// What `JSONParser` materializes per JSON value: its `JSONDocument` slot (24 bytes) in the
    /// array holding it, twice for the array's growth slack, and a member's `String` key for
    /// the values that are object members (64 bytes in all; strings' bytes are counted apart).
    static let bytesPerJSONValue = 2 * MemoryLayout<JSONDocument>.stride + MemoryLayout<String>.stride

    /// Measures `json` (depth and value count, before anything is built) and reserves what
    /// parsing it will hold: an object per value, and its strings, about its size twice.
    func reserveParsing<Bytes: Collection<UInt8>>(_ json: Bytes) throws(HTTPError) -> MemoryReservation {
        let values: Int
        do {
            values = try self.json.values(in: json)
        } catch where error.status == 413 {
            let maxImages = configuration.maxImagesPerRequest
            throw HTTPError(status: 413, title: error.title,
                            detail: "\(error.detail): at most \(maxImages) image\(maxImages == 1 ? "" : "s") of 784 values per request")
        }
        return try budget.reserveForRequest(values * Self.bytesPerJSONValue + 2 * json.count, for: "parsing the JSON body")
    }

    /// Image `index`'s header, read without decoding (the per-image caps apply).
    func peek(_ bytes: [UInt8], format: ImageFormat?, index: Int) throws -> ImageHeader {
        do {
            return try ImageDecoder.peek(bytes, format: format, limits: configuration.decodeLimits)
        } catch let error as ImageError {
            throw Self.problem(error, index: index)
        }
    }

    /// Throws 413 when a request's images declare more pixels together than one may.
    func checkPixels(_ declared: Int) throws(HTTPError) {
        guard declared <= configuration.maxPixelsPerRequest else {
            throw HTTPError(status: 413, title: "Too many pixels",
                            detail: "the request's images declare \(declared) pixels, more than the limit of "
                                + "\(configuration.maxPixelsPerRequest) per request")
        }
    }

    /// Decodes image `index` (its `header` peeked before) into MNIST form, its decoding held
    /// in the budget only while it runs, so one full-size image at a time is alive.
    func decode(_ bytes: [UInt8], format: ImageFormat?, header: ImageHeader, index: Int) throws -> [Float] {
        let held = try budget.reserveForRequest(header.decodingBytes, for: "decoding instance \(index)")
        defer { held.release() }
        do {
            let image = try ImageDecoder.decode(bytes, format: format, limits: configuration.decodeLimits)
            return try MNISTNormalizer(mode: .auto).normalize(image).pixels
        } catch let error as ImageError {
            throw Self.problem(error, index: index)
        }
    }

    private static func problem(_ error: ImageError, index: Int) -> HTTPError {
        let problem = PredictRequest.problem(for: error, index: index)
        return HTTPError(status: problem.status, detail: problem.detail)
    }
}

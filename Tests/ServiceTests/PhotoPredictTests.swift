import Foundation
import Imaging
import Testing
import TestSupport

/// Phone photos of digits on paper (JPEG, colour, EXIF-rotated) over a real socket, in every
/// body form of the contract (issue 13).
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
struct PhotoPredictTests {
    /// Each photo is read as its digit, sent as image/jpeg.
    @Test(arguments: PhotoFixtures.names)
    func photoIsRead(name: String) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let response = try service.post("/predict?include_input=true", contentType: "image/jpeg", body: try PhotoFixtures.bytes(name))
        try #require(response.status == 200, "\(response.status) \(response.text)")
        let answer = try response.prediction().prediction
        #expect(answer.digit == PhotoFixtures.label(name), "\(name) read as \(answer.digit)")
        let input = try #require(answer.input)
        #expect(input.count == 784 && input.contains { $0 > 200 }, "the network saw ink")
    }

    /// The same JPEG in every other body form: sniffed without a type, as octet-stream, JSON
    /// base64 and data URL, TF Serving `b64`, text/plain base64 and a multipart file part.
    @Test func everyBodyForm() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let bytes = try PhotoFixtures.bytes(PhotoFixtures.names[1])
        let text = Base64.encode(bytes)
        let forms: [(String, String?, [UInt8], Bool)] = [
            ("no type", nil, bytes, false),
            ("octet-stream", "application/octet-stream", bytes, false),
            ("JSON image", "application/json", DigitEncoding.json(["image": text]), false),
            ("JSON data URL", "application/json", DigitEncoding.json(["image": "data:image/jpeg;base64," + text]), false),
            ("TF Serving b64", "application/json", DigitEncoding.json(["instances": [["b64": text]]]), true),
            ("text/plain", "text/plain", Array(text.utf8), false),
            ("multipart", "multipart/form-data; boundary=\(MultipartBody.boundary)",
             MultipartBody.encode([.file(name: "image", filename: "photo.jpg", contentType: "image/jpeg", bytes: bytes)]), false),
        ]
        for (name, type, body, batch) in forms {
            let response = try service.post(contentType: type, body: body)
            try #require(response.status == 200, "\(name): \(response.status) \(response.text)")
            let digit = batch ? try response.predictions().predictions[0].digit : try response.prediction().prediction.digit
            #expect(digit == 2, "\(name): read as \(digit)")
        }
    }

    /// The per-request pixel cap counts a JPEG at the size it decodes to: the 1024x768 photo
    /// (786,432 pixels declared) decodes at 1/2, 512x384 = 196,608 pixels, so a 250,000 cap
    /// lets it through and a 100,000 cap refuses it with 413 from its header.
    @Test func pixelCapCountsDecodedPixels() throws {
        let bytes = try PhotoFixtures.bytes(PhotoFixtures.names[3])
        for (cap, status) in [(250_000, 200), (100_000, 413)] {
            let service = try ServiceHarness { $0.maxPixelsPerRequest = cap }
            defer { service.stop() }
            let response = try service.post(contentType: "image/jpeg", body: bytes)
            #expect(response.status == status, "cap \(cap): \(response.status) \(response.text)")
            if status == 200 { #expect(try response.prediction().prediction.digit == 0) }
        }
    }

    /// Damaged JPEGs get the problem+json of the contract: a truncated file 400 with libjpeg's
    /// words, a 30000x30000 header 413.
    @Test func damagedPhotos() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let bytes = try PhotoFixtures.bytes(PhotoFixtures.names[0])
        let truncated = try service.post(contentType: "image/jpeg", body: Array(bytes.prefix(bytes.count / 2)))
        #expect(truncated.status == 400)
        #expect(truncated.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(truncated.text.contains("Premature end of JPEG file"), "\(truncated.text)")

        var huge = bytes
        let sof = try #require((2..<(huge.count - 1)).first { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 })
        huge[sof + 5] = 0x75; huge[sof + 6] = 0x30; huge[sof + 7] = 0x75; huge[sof + 8] = 0x30
        let tooLarge = try service.post(contentType: "image/jpeg", body: huge)
        #expect(tooLarge.status == 413, "\(tooLarge.text)")
    }
}

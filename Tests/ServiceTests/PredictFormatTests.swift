import Foundation
import Imaging
import Testing
import TestSupport

/// Every `/predict` body form end to end over a real socket, with real MNIST test digits the
/// test encodes itself (issue 4), and the shape of the answers (contract, "/predict output").
@Suite(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
struct PredictFormatTests {
    /// Ten digits, one of each class, sent raw and in `encoding`: the encoded form misses no
    /// more digits than the raw form, and a body holding the exact MNIST bytes gets the raw
    /// answer bit for bit.
    @Test(arguments: DigitEncoding.all)
    func encodedDigitsArePredicted(encoding: DigitEncoding) throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let client = try service.connect()
        var rawMisses: [String] = [], encodedMisses: [String] = []
        for digit in try TestDigits.oneOfEachClass() {
            let raw = try client.post(contentType: "application/octet-stream", body: digit.pixels)
            try #require(raw.status == 200, "raw \(digit): \(raw.text)")
            let rawAnswer = try raw.prediction().prediction
            if rawAnswer.digit != digit.label { rawMisses.append("\(digit) read as \(rawAnswer.digit)") }

            let response = try client.post(contentType: encoding.contentType, body: try encoding.encode(digit))
            try #require(response.status == 200, "\(encoding.name), \(digit): \(response.status) \(response.text)")
            let answer: Prediction
            if encoding.answersAsBatch {
                let batch = try response.predictions().predictions
                try #require(batch.count == 1)
                answer = batch[0]
            } else {
                answer = try response.prediction().prediction
            }
            if answer.digit != digit.label { encodedMisses.append("\(digit) read as \(answer.digit)") }
            if encoding.exact {
                #expect(answer.probabilities == rawAnswer.probabilities, "\(digit): not the raw answer")
            }
        }
        #expect(encodedMisses.count <= rawMisses.count,
                "\(encoding.name) misses \(encodedMisses), raw misses \(rawMisses)")
    }

    /// The contract's single answer: digit, its confidence, ten probabilities summing to 1,
    /// and the id of the model `/readyz` reports.
    @Test func answerHasTheContractShape() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let digit = try TestDigits.first(1)[0]
        let response = try service.post(contentType: "application/octet-stream", body: digit.pixels)
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        let (answer, model) = try response.prediction()
        #expect(answer.digit == digit.label)
        #expect(answer.probabilities.count == 10)
        #expect(answer.probabilities.allSatisfy { (0...1).contains($0) })
        #expect(isClose(answer.probabilities.reduce(0, +), 1, absolute: 1e-4))
        #expect(answer.confidence == answer.probabilities[answer.digit])
        #expect(answer.confidence == answer.probabilities.max())
        #expect(answer.top == nil && answer.input == nil, "no optional fields unless asked for")
        let ready = try service.get("/readyz").jsonObject()
        #expect(!model.isEmpty)
        #expect(model == ready["model"] as? String)
    }

    /// `?top=3`: the three most probable digits, in order, agreeing with the probabilities.
    @Test func topKListsTheMostProbableDigits() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let digit = try TestDigits.first(1)[0]
        let answer = try service.post("/predict?top=3", contentType: "application/octet-stream", body: digit.pixels)
            .prediction().prediction
        let top = try #require(answer.top)
        #expect(top.count == 3)
        #expect(top.first?.digit == answer.digit)
        let ranked = answer.probabilities.enumerated().sorted { $0.element > $1.element }.prefix(3).map(\.offset)
        #expect(top.map(\.digit) == ranked)
        for entry in top { #expect(entry.probability == answer.probabilities[entry.digit]) }
        #expect(zip(top, top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
    }

    /// `?include_input=true` returns the 784 values the network saw: a raw body's own bytes,
    /// and for a 200x200 dark-on-light PNG an MNIST-polarity image with a black border.
    @Test func includeInputReturnsWhatTheNetworkSaw() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let digit = try TestDigits.first(1)[0]
        let raw = try service.post("/predict?include_input=true", contentType: "application/octet-stream", body: digit.pixels)
            .prediction().prediction
        #expect(raw.input == digit.pixels.map(Int.init))

        let large = DigitPixels.upscaled(DigitPixels.inverted(digit.pixels), to: 200)
        let png = try PNGEncoder.encodeGray8(width: 200, height: 200, pixels: large)
        let normalized = try service.post("/predict?include_input=true", contentType: "image/png", body: png).prediction().prediction
        let input = try #require(normalized.input)
        #expect(input.count == 784)
        #expect(input.allSatisfy { (0...255).contains($0) })
        let border: [Int] = (0..<28).flatMap { (i: Int) -> [Int] in [input[i], input[27 * 28 + i], input[i * 28], input[i * 28 + 27]] }
        #expect(border.allSatisfy { $0 == 0 }, "paper becomes MNIST's black background")
        // Contrast is stretched before the area-averaging downscale, which softens the peak.
        #expect((input.max() ?? 0) >= 200, "the strongest ink is near full intensity")
    }

    /// `?normalize=off` takes a 28x28 PGM as stored, without polarity detection: an inverted
    /// (black-on-white) PGM reaches the network inverted, while `auto` turns it back to MNIST
    /// polarity; an MNIST-polarity PGM with `off` gets the raw answer exactly.
    @Test func normalizeOffTakesThePixelsAsStored() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let client = try service.connect()
        let digit = try TestDigits.first(1)[0]
        let inverted = DigitPixels.inverted(digit.pixels)
        let invertedPGM = PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 255, samples: inverted.map(UInt16.init)))

        let off = try client.post("/predict?normalize=off&include_input=true", contentType: DigitEncoding.pgm,
                                  body: invertedPGM).prediction().prediction
        #expect(off.input == inverted.map(Int.init))
        let auto = try client.post("/predict?normalize=auto&include_input=true", contentType: DigitEncoding.pgm,
                                   body: invertedPGM).prediction().prediction
        #expect(auto.input?.first == 0, "auto detects dark ink on light paper and inverts it")
        #expect(auto.digit == digit.label)

        let pgm = PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 255, samples: digit.pixels.map(UInt16.init)))
        let asStored = try client.post("/predict?normalize=off", contentType: DigitEncoding.pgm, body: pgm).prediction().prediction
        let raw = try client.post(contentType: "application/octet-stream", body: digit.pixels).prediction().prediction
        #expect(asStored.probabilities == raw.probabilities)
    }

    /// `{"images": [...]}` of mixed encodings answers `predictions` in request order, each the
    /// answer the same image gets alone.
    @Test func jsonBatchAnswersInOrder() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let client = try service.connect()
        let digits = try TestDigits.first(12)
        let encodings = ["octet-stream, 784 raw bytes", "PNG gray 8-bit", "PGM P5 16-bit, black on white",
                         "PNG 200x200, black on white, upscaled"]
            .map { name in DigitEncoding.all.first { $0.name == name }! }
        var images: [String] = []
        var singles: [Prediction] = []
        for (index, digit) in digits.enumerated() {
            let encoding = encodings[index % encodings.count]
            let body = try encoding.encode(digit)
            images.append(Base64.encode(body))
            singles.append(try client.post(contentType: encoding.contentType, body: body).prediction().prediction)
        }
        let response = try client.post(contentType: "application/json", body: DigitEncoding.json(["images": images]))
        #expect(response.status == 200)
        let batch = try response.predictions().predictions
        try #require(batch.count == digits.count)
        for index in digits.indices {
            #expect(batch[index].digit == singles[index].digit, "image \(index)")
            #expect(batch[index].probabilities == singles[index].probabilities, "image \(index)")
        }
        #expect(batch.map(\.digit) == digits.map(\.label))
    }
}

import Foundation
import Imaging
import Service
import Synchronization
import Testing
import TestSupport

/// Dynamic batching (issue 4): concurrent requests share forward passes, every client still
/// gets its own answer, and batching changes no answer by a single bit.
struct BatchingTests {
    /// The largest pass a batcher ran, observed through its `onBatch` hook.
    final class LargestBatch: Sendable {
        private let images = Mutex(0)
        var value: Int { images.withLock { $0 } }
        func observe(_ record: InferenceBatcher.BatchRecord) { images.withLock { $0 = max($0, record.images) } }

        /// Chains onto the app's own hook (metrics) before the batcher starts.
        func attach(to app: ServiceApp) {
            let previous = app.batcher.onBatch
            app.batcher.onBatch = { [self] record in
                previous?(record)
                observe(record)
            }
        }
    }

    static func service(maxBatchSize: Int, delayMicroseconds: Int, precision: InferencePrecision = .fp32,
                        largest: LargestBatch? = nil) throws -> ServiceHarness {
        try ServiceHarness(configure: {
            $0.batching = InferenceBatcher.Settings(maxBatchSize: maxBatchSize, maxQueueDelayMicroseconds: delayMicroseconds,
                                                    threads: 1)
            $0.precision = precision
        }, beforeStart: { largest?.attach(to: $0) })
    }

    /// One connection per digit, every request sent before any answer is read, so all of them
    /// are in the server at once; the answers in the digits' order.
    static func concurrentAnswers(_ service: ServiceHarness, _ digits: [TestDigit]) throws -> [Prediction] {
        let clients = try digits.map { _ in try service.connect() }
        for (client, digit) in zip(clients, digits) {
            client.sendRequest(method: "POST", path: "/predict", headers: [("Content-Type", "application/octet-stream")],
                               body: digit.pixels)
        }
        return try clients.map { client in
            let response = try client.readResponse()
            try #require(response.status == 200, "\(response.text)")
            return try response.prediction().prediction
        }
    }

    /// 32 clients at once, each with a different digit, against batching off (batches of
    /// one), on with a short queue delay, and on with a delay long enough that the requests
    /// surely share passes: every client gets exactly the answer its digit gets alone and
    /// unbatched, so answers are correct, distinct, and bit-identical with batching on and off.
    /// The unbatched answers are run inline by the idle batcher on the network thread, the
    /// batched ones on the inference thread. In fp32 and in int8 (the shipped model is
    /// calibrated), whose integer arithmetic must not depend on the batch either.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"), arguments: [InferencePrecision.fp32, .int8])
    func concurrentClientsGetTheirOwnAnswersBatchedOrNot(precision: InferencePrecision) throws {
        let digits = try TestDigits.first(32)

        let unbatched = try Self.service(maxBatchSize: 1, delayMicroseconds: 0, precision: precision)
        defer { unbatched.stop() }
        let client = try unbatched.connect()
        let reference = try digits.map { digit in
            try client.post(contentType: "application/octet-stream", body: digit.pixels).prediction().prediction
        }
        let misses = zip(reference, digits).filter { $0.0.digit != $0.1.label }.map(\.1)
        #expect(misses.count <= 1, "the model misreads \(misses) of the first 32 test digits")
        #expect(Set(reference.map(\.probabilities)).count == digits.count, "different digits get different answers")

        let largest = LargestBatch()
        let configurations: [(name: String, service: ServiceHarness)] = [
            ("batching off", unbatched),
            ("max batch 64, delay 2 ms", try Self.service(maxBatchSize: 64, delayMicroseconds: 2_000, precision: precision)),
            ("max batch 64, delay 50 ms", try Self.service(maxBatchSize: 64, delayMicroseconds: 50_000, precision: precision,
                                                           largest: largest)),
        ]
        defer { configurations.forEach { $0.service.stop() } }
        for (name, service) in configurations {
            let answers = try Self.concurrentAnswers(service, digits)
            for index in digits.indices {
                #expect(answers[index].probabilities == reference[index].probabilities, "\(name): \(digits[index])")
                #expect(answers[index].digit == reference[index].digit, "\(name): \(digits[index])")
            }
        }
        #expect(largest.value > 1, "32 requests within a 50 ms window must share a forward pass")
    }

    /// A full inference queue refuses more work at once with 429, `Retry-After` and a problem
    /// (the contract's "429 queue full") instead of queueing without bound: with room for one
    /// waiting image, held 200 ms for company, the requests behind it are refused while the
    /// first is still answered.
    @Test func fullQueueRefusesWith429AndRetryAfter() throws {
        let service = try ServiceHarness(configure: {
            $0.batching = InferenceBatcher.Settings(maxBatchSize: 64, maxQueueDelayMicroseconds: 200_000,
                                                    maxQueuedImages: 1, threads: 1)
        })
        defer { service.stop() }
        let clients = try (0..<4).map { _ in try service.connect() }
        for client in clients {
            client.sendRequest(method: "POST", path: "/predict", headers: [("Content-Type", "application/octet-stream")],
                               body: BadPredictRequest.strokePixels)
        }
        let responses = try clients.map { try $0.readResponse() }
        #expect(responses.allSatisfy { $0.status == 200 || $0.status == 429 }, "\(responses.map(\.status))")
        #expect(responses.contains { $0.status == 200 }, "the queued request is answered")
        let refused = responses.filter { $0.status == 429 }
        #expect(!refused.isEmpty, "requests beyond the queue's room are refused")
        for response in refused {
            #expect(response.header("Retry-After") != nil)
            #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect((try? response.jsonObject()["detail"] as? String)??.contains("queue") == true, "\(response.text)")
        }
        #expect(try service.post(contentType: "application/octet-stream", body: BadPredictRequest.strokePixels).status == 200,
                "once the queue drains, requests are served again")
    }

    /// A JSON batch of 256 images answers exactly what 256 single requests answer, in order.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
    func jsonBatchOf256EqualsSingleRequests() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        let client = try service.connect()
        let digits = try TestDigits.first(256)
        let singles = try digits.map { digit in
            try client.post(contentType: "application/octet-stream", body: digit.pixels).prediction().prediction
        }
        let body = DigitEncoding.json(["images": digits.map { Base64.encode($0.pixels) }])
        let response = try client.post(contentType: "application/json", body: body)
        #expect(response.status == 200)
        let batch = try response.predictions().predictions
        try #require(batch.count == 256)
        var differing: [Int] = []
        for index in digits.indices where batch[index].probabilities != singles[index].probabilities {
            differing.append(index)
        }
        #expect(differing.isEmpty, "images whose batched answer differs from the single one: \(differing)")
        #expect(batch.map(\.digit) == singles.map(\.digit))
    }
}

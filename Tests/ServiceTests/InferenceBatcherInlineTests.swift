import Foundation
import Synchronization
import Testing
import TensorCore
@testable import Service

/// When a lone image runs on its submitter's thread (issue 15): only for a client that is
/// alone, since with other clients connected an inline pass would hold the requests waiting
/// behind it on its event loop; the answer is the same bits either way.
struct InferenceBatcherInlineTests {
    /// The answer a completion delivered, and whether it ran on the submitting thread.
    final class Delivery: Sendable {
        let answer = Mutex<(probabilities: [Float], onSubmitter: Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Submits one image with `inlineWhenIdle` to an idle batcher that sees `clients`
    /// connected (nil: not told); returns whether it was answered inline (on the submitting
    /// thread, not the inference thread), and the answer.
    static func submitLoneImage(clients: Int?) throws -> (inline: Bool, probabilities: [Float]) {
        let network = try Network(architecture: .kerasExample, seed: 15)
        let batcher = InferenceBatcher(slot: ModelSlot(LoadedModel(id: "inline-test", network: network, metadata: [:])),
                                       settings: InferenceBatcher.Settings(threads: 1))
        if let clients { batcher.connectedClients = { clients } }
        batcher.start()
        defer { batcher.stop() }
        let image = (0..<network.inputCount).map { Float($0 % 29) / 28 }
        let delivery = Delivery()
        let submitter = pthread_self()
        batcher.submit(images: image, count: 1, inlineWhenIdle: true) { result in
            let onSubmitter = pthread_equal(pthread_self(), submitter) != 0
            delivery.answer.withLock { answer in
                answer = (try? result.get().probabilities[0]).map { ($0, onSubmitter) }
            }
            delivery.done.signal()
        }
        delivery.done.wait()
        let answer = try #require(delivery.answer.withLock { $0 })
        return (answer.onSubmitter, answer.probabilities)
    }

    /// A client alone, or a batcher not told about clients (fed directly), gets its lone
    /// image answered inline.
    @Test(arguments: [1, nil] as [Int?])
    func aLoneClientIsAnsweredInline(clients: Int?) throws {
        #expect(try Self.submitLoneImage(clients: clients).inline)
    }

    /// With a second client connected the image goes to the inference thread, and is
    /// answered there with exactly the inline answer's bits.
    @Test func withOtherClientsTheImageIsQueuedAndAnsweredAlike() throws {
        let queued = try Self.submitLoneImage(clients: 2)
        #expect(!queued.inline)
        #expect(queued.probabilities == (try Self.submitLoneImage(clients: 1)).probabilities)
    }
}

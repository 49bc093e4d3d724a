import Foundation
import Synchronization
import Testing
import TensorCore
@testable import Service

/// When a lone image runs on its submitter's thread (issue 15): only for a client that is
/// alone, since with other clients connected an inline pass would hold the requests waiting
/// behind it on its event loop; the answer is the same bits either way.
struct InferenceBatcherInlineTests {
    /// The answer a completion delivered, and whether it came before `submit` returned.
    final class Delivery: Sendable {
        let probabilities = Mutex<[Float]?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Submits one image with `inlineWhenIdle` to an idle batcher that sees `clients`
    /// connected (nil: not told); returns whether it was answered inline, and the answer.
    static func submitLoneImage(clients: Int?) throws -> (inline: Bool, probabilities: [Float]) {
        let network = try Network(architecture: .kerasExample, seed: 15)
        let batcher = InferenceBatcher(slot: ModelSlot(LoadedModel(id: "inline-test", network: network, metadata: [:])),
                                       settings: InferenceBatcher.Settings(threads: 1))
        if let clients { batcher.connectedClients = { clients } }
        batcher.start()
        defer { batcher.stop() }
        let image = (0..<network.inputCount).map { Float($0 % 29) / 28 }
        let delivery = Delivery()
        batcher.submit(images: image, count: 1, inlineWhenIdle: true) { result in
            delivery.probabilities.withLock { $0 = try? result.get().probabilities[0] }
            delivery.done.signal()
        }
        let inline = delivery.probabilities.withLock { $0 != nil }
        delivery.done.wait()
        return (inline, try #require(delivery.probabilities.withLock { $0 }))
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

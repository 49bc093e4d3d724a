import Foundation
import Synchronization
import Testing
import TensorCore
@testable import Service

/// When a lone image runs on its submitter's thread (issue 15): only when the submitter says
/// its thread has nothing else waiting (`inlineWhenIdle`, which `/predict` takes from its event
/// loop), since an inline pass holds that thread; the answer is the same bits either way.
/// `InlineOverSocketTests` checks the loop's side over real connections.
struct InferenceBatcherInlineTests {
    /// The answer a completion delivered, and whether it ran on the submitting thread.
    final class Delivery: Sendable {
        let answer = Mutex<(probabilities: [Float], onSubmitter: Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Submits one image to an idle batcher, its submitter idle or not; returns whether it
    /// was answered inline (on the submitting thread, not the inference thread), and the answer.
    static func submitLoneImage(submitterIsIdle: Bool) throws -> (inline: Bool, probabilities: [Float]) {
        let network = try Network(architecture: .kerasExample, seed: 15)
        let batcher = InferenceBatcher(slot: ModelSlot(LoadedModel(id: "inline-test", network: network, metadata: [:])),
                                       settings: InferenceBatcher.Settings(threads: 1))
        batcher.start()
        defer { batcher.stop() }
        let image = (0..<network.inputCount).map { Float($0 % 29) / 28 }
        let delivery = Delivery()
        let submitter = pthread_self()
        batcher.submit(images: image, count: 1, inlineWhenIdle: submitterIsIdle) { result in
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

    /// An idle submitter gets its lone image answered inline.
    @Test func anIdleSubmitterIsAnsweredInline() throws {
        #expect(try Self.submitLoneImage(submitterIsIdle: true).inline)
    }

    /// A submitter with other work waiting has the image go to the inference thread, and
    /// answered there with exactly the inline answer's bits.
    @Test func aBusySubmittersImageIsQueuedAndAnsweredAlike() throws {
        let queued = try Self.submitLoneImage(submitterIsIdle: false)
        #expect(!queued.inline)
        #expect(queued.probabilities == (try Self.submitLoneImage(submitterIsIdle: true)).probabilities)
    }
}

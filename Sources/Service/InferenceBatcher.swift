#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Platform
import TensorCore

/// Dynamic batching: concurrent requests are gathered into one forward pass on a dedicated
/// inference thread (never on the network threads).
///
/// The knobs are the ones TF Serving and Triton users know: `maxBatchSize` (images per pass)
/// and `maxQueueDelay` (how long the first waiting request may be held for company). With a
/// delay of zero the batcher is greedy: it runs whatever has queued while the previous pass
/// ran, so a lone request waits for nothing and batches grow with load by themselves.
// Unchecked: the queue state is only touched with `condition` locked (the inference thread waits on it);
// `input` only by the one pass running (`passRunning`); `onBatch` is set before `start()`.
public final class InferenceBatcher: @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var maxBatchSize: Int
        public var maxQueueDelayMicroseconds: Int
        /// Images waiting at most, whatever the requests they came in; more are refused (429)
        /// rather than queued without bound. Each queued image holds 784 floats (3,136 bytes),
        /// so this bounds the queue's bytes too (4096 images: 12.25 MiB). A request that finds
        /// the queue empty is taken whatever its size, so no request is refused for ever.
        public var maxQueuedImages: Int
        /// Threads a large pass may spread over.
        public var threads: Int

        public init(maxBatchSize: Int = 64, maxQueueDelayMicroseconds: Int = 0, maxQueuedImages: Int = 4096,
                    threads: Int = CPUBudget.cores) {
            self.maxBatchSize = maxBatchSize
            self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
            self.maxQueuedImages = maxQueuedImages
            self.threads = threads
        }
    }

    /// The answer to one request: probabilities per image ([images][classes]) from one model.
    public struct Answer: Sendable {
        public var probabilities: [[Float]]
        public var modelID: String
    }

    public enum Failure: Error, Equatable {
        case noModel
        case overloaded
        case stopped
    }

    /// What a batch observed, for metrics.
    public struct BatchRecord: Sendable {
        public var images: Int
        public var requests: Int
        /// Seconds the oldest request waited before its pass started.
        public var queueDelay: Double
        public var inferenceSeconds: Double
    }

    private struct Pending {
        var images: [Float] // count * 784, 0...1, MNIST polarity
        var count: Int
        var enqueued: Double
        var completion: @Sendable (Result<Answer, Failure>) -> Void
    }

    public let settings: Settings
    private let slot: ModelSlot
    /// Monotonic time for the queue delay, the spin and the batch records.
    private let time: TimeSource
    private let condition = Condition()
    private var queue: [Pending] = []
    private var queuedImages = 0
    private var stopping = false
    /// Whether a pass is running, on the inference thread or inline on a submitter's: the
    /// network is not thread-safe, so there is never more than one.
    private var passRunning = false
    /// Requests the last pass answered: more than one means requests are arriving together,
    /// and a lone image is then queued to join the next batch rather than run inline (an
    /// inline pass holds its network thread, and with it the requests that would have joined).
    private var lastPassRequests = 0
    private var input: [Float] = []
    /// A second core for each pass (`PassHelper`) when there are two threads: half of a single
    /// image's layers (at one connection, half the forward pass is the latency), or the second
    /// of a batch's two workers.
    private let passHelper: PassHelper?
    /// Called after each pass, on the thread that ran it: the inference thread, or a
    /// submitter's for an inline pass.
    public var onBatch: (@Sendable (BatchRecord) -> Void)?
    public init(slot: ModelSlot, settings: Settings, time: TimeSource = .system) {
        precondition(settings.maxBatchSize >= 1 && settings.threads >= 1)
        self.slot = slot
        self.settings = settings
        self.time = time
        passHelper = settings.threads >= 2 ? PassHelper() : nil
    }

    public func start() {
        // The thread keeps the batcher alive until `stop()` lets `run()` return.
        Threads.start(name: "inference", stackSize: 1 << 20) { self.run() }
        if let passHelper { Threads.start(name: "pass-helper", stackSize: 1 << 20) { passHelper.serve() } }
    }

    /// Stops after the queued requests are answered.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues `count` images (each 784 floats) and calls `completion` once, from the inference
    /// thread, with their probabilities or the reason there are none.
    ///
    /// With `inlineWhenIdle` (the caller's thread has nothing else waiting on it: for a
    /// network thread, `HTTPResponder.loopIsOtherwiseIdle`), a single image that finds the
    /// batcher idle (nothing queued, no pass running, greedy batching) is run on the caller's
    /// thread instead, and `completion` is called there before this returns. A lone request so
    /// skips two thread hand-offs: the inference thread's wake-up and the event loop's wake-up
    /// to write the answer, each tens of microseconds on a busy machine. A caller whose thread
    /// has other work ready must not ask: an inline pass would hold that work (issue 15: at 32
    /// connections, inlining whenever the batcher was idle ran every request inline, one after
    /// another on one loop thread, and the p99 went from 4.6 to 24 ms). While passes answer
    /// several requests at once none runs inline either; the answer is the same either way
    /// (batching changes no bit).
    public func submit(images: [Float], count: Int, inlineWhenIdle: Bool = false,
                       completion: @escaping @Sendable (Result<Answer, Failure>) -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            completion(.failure(.stopped))
            return
        }
        if inlineWhenIdle && count == 1 && queue.isEmpty && !passRunning && lastPassRequests <= 1
            && settings.maxQueueDelayMicroseconds == 0 {
            passRunning = true
            condition.unlock()
            process([Pending(images: images, count: count, enqueued: time.monotonicSeconds(), completion: completion)], images: count)
            condition.lock()
            passRunning = false
            lastPassRequests = 1
            // The inference thread waits for this pass to end before it takes what queued meanwhile.
            if !queue.isEmpty || stopping { condition.signal() }
            condition.unlock()
            return
        }
        if !queue.isEmpty && queuedImages + count > settings.maxQueuedImages {
            condition.unlock()
            completion(.failure(.overloaded))
            return
        }
        queue.append(Pending(images: images, count: count, enqueued: time.monotonicSeconds(), completion: completion))
        queuedImages += count
        condition.signal()
        condition.unlock()
    }

    /// Runs a pass synchronously on the caller's thread (warm-up, before `start`).
    public func warmUp(model: LoadedModel) {
        let pixels = model.network.inputCount
        var images = [Float](repeating: 0, count: settings.maxBatchSize * pixels)
        for i in stride(from: 0, to: images.count, by: 7) { images[i] = 0.5 }
        for batch in Set([1, 2, settings.maxBatchSize]) {
            for _ in 0..<3 {
                _ = images.withUnsafeBufferPointer { model.forward($0.baseAddress!, batch: batch) }
            }
        }
    }

    /// How long the inference thread polls for new work before it sleeps: waking a sleeping
    /// thread costs tens of microseconds, more than a whole forward pass of a small network.
    static let spinSeconds = 0.000_2

    private func run() {
        while true {
            let spinUntil = time.monotonicSeconds() + Self.spinSeconds
            while time.monotonicSeconds() < spinUntil {
                condition.lock()
                let waiting = (!queue.isEmpty && !passRunning) || stopping
                condition.unlock()
                if waiting { break }
            }
            condition.lock()
            while passRunning || (queue.isEmpty && !stopping) { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                passHelper?.stop()
                return
            }
            // Hold the first request up to the delay while the batch is not yet full.
            if settings.maxQueueDelayMicroseconds > 0 {
                let deadline = queue[0].enqueued + Double(settings.maxQueueDelayMicroseconds) * 1e-6
                while queuedImages < settings.maxBatchSize && !stopping {
                    let remaining = deadline - time.monotonicSeconds()
                    if remaining <= 0 { break }
                    condition.wait(seconds: remaining)
                }
            }
            // Whole requests, up to the batch size (a request larger than that runs alone).
            var taken: [Pending] = []
            var images = 0
            while let next = queue.first, taken.isEmpty || images + next.count <= settings.maxBatchSize {
                taken.append(next)
                images += next.count
                queue.removeFirst()
            }
            queuedImages -= images
            passRunning = true
            condition.unlock()
            process(taken, images: images)
            condition.lock()
            passRunning = false
            lastPassRequests = taken.count
            condition.unlock()
        }
    }

    private func process(_ batch: [Pending], images: Int) {
        let started = time.monotonicSeconds()
        guard let model = slot.current else {
            for request in batch { request.completion(.failure(.noModel)) }
            return
        }
        let network = model.network
        model.useInferenceThreads(settings.threads, helper: passHelper)
        let pixels = network.inputCount, classes = network.classes
        if input.count < images * pixels { input = [Float](repeating: 0, count: images * pixels) }
        var offset = 0
        for request in batch {
            input.withUnsafeMutableBufferPointer { destination in
                request.images.withUnsafeBufferPointer { source in
                    (destination.baseAddress! + offset).update(from: source.baseAddress!, count: request.count * pixels)
                }
            }
            offset += request.count * pixels
        }
        let probabilities = input.withUnsafeBufferPointer { model.predict($0.baseAddress!, batch: images) }
        let finished = time.monotonicSeconds()
        var row = 0
        for request in batch {
            let answer = (0..<request.count).map { i in
                Array(probabilities[((row + i) * classes)..<((row + i + 1) * classes)])
            }
            row += request.count
            request.completion(.success(Answer(probabilities: answer, modelID: model.id)))
        }
        onBatch?(BatchRecord(images: images, requests: batch.count, queueDelay: started - batch[0].enqueued,
                             inferenceSeconds: finished - started))
    }
}

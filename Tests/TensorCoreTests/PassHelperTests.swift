import Dispatch
import Synchronization
import Testing
import TensorCore
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whether the calling thread is `thread`.
private func isThread(_ thread: pthread_t) -> Bool { pthread_equal(pthread_self(), thread) != 0 }

/// A helper thread serving `helper` for the duration of `body`, joined before returning.
private func withServedHelper<T>(_ helper: PassHelper, _ body: () throws -> T) rethrows -> T {
    let ended = DispatchSemaphore(value: 0)
    let thread = DispatchQueue(label: "pass-helper")
    thread.async {
        helper.serve()
        ended.signal()
    }
    defer {
        helper.stop()
        ended.wait()
    }
    return try body()
}

/// What the second half of a run saw.
private final class SecondHalf: Sendable {
    let done = Atomic(false)
    let ranOnCaller = Atomic(true)
}

@Suite struct PassHelperTests {
    /// Unserved (no thread calls `serve`), the caller runs both halves itself.
    @Test func unservedHelperLeavesBothHalvesToTheCaller() {
        let helper = PassHelper()
        let threads = Mutex<[Int: Bool]>([:])
        let caller = pthread_self()
        for _ in 0..<3 {
            helper.run { half in
                threads.withLock { $0[half] = isThread(caller) }
            }
        }
        #expect(threads.withLock { $0 } == [0: true, 1: true])
        #expect(helper.halvesRun == 0)
    }

    /// A served helper takes the second half while the caller is still in the first: half 0
    /// waits (boundedly) for half 1 to have run, which only another thread can do.
    @Test func servedHelperRunsTheSecondHalfConcurrently() {
        let helper = PassHelper()
        withServedHelper(helper) {
            let caller = pthread_self()
            for round in 0..<20 {
                let second = SecondHalf()
                helper.run { half in
                    if half == 1 {
                        second.ranOnCaller.store(isThread(caller), ordering: .relaxed)
                        second.done.store(true, ordering: .releasing)
                    } else {
                        let deadline = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
                        while !second.done.load(ordering: .acquiring) && DispatchTime.now().uptimeNanoseconds < deadline {}
                    }
                }
                let done = second.done.load(ordering: .acquiring), ranOnCaller = second.ranOnCaller.load(ordering: .relaxed)
                #expect(done, "round \(round)")
                #expect(!ranOnCaller, "round \(round)")
            }
            #expect(helper.halvesRun == 20)
        }
    }

    /// After its spin the helper sleeps, and a later run wakes it.
    @Test func sleepingHelperIsWokenByALaterRun() {
        let helper = PassHelper(spin: .microseconds(10))
        withServedHelper(helper) {
            usleep(20_000)
            let before = helper.halvesRun
            let deadline = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
            // Short first halves: the first runs only wake it; it then takes a half.
            while helper.halvesRun == before && DispatchTime.now().uptimeNanoseconds < deadline {
                helper.run { half in
                    if half == 0 { usleep(1_000) }
                }
            }
            #expect(helper.halvesRun > before)
        }
    }

    /// A single image's logits are the same bits whether its pass is split with the helper or
    /// not, and equal to its row of a batch (itself run with and without the helper): for the shipped architecture (direct and Winograd
    /// convolutions, a 256-wide linear layer), the Keras example, and output sizes that are no
    /// multiple of the register tile, on every instruction set this CPU runs.
    @Test(arguments: InstructionSet.allCases.filter { $0.isSupported })
    func splitPassesGiveTheSameBits(_ instructionSet: InstructionSet) throws {
        let odd = Architecture(input: ImageShape(height: 15, width: 13, channels: 1), layers: [
            .conv2d(outChannels: 8, kernelSize: 3), .relu,
            .conv2d(outChannels: 16, kernelSize: 3), .batchNorm(), .relu,
            .conv2d(outChannels: 24, kernelSize: 3, stride: 1, padding: 1), .relu,
            .flatten, .linear(outFeatures: 200), .relu, .linear(outFeatures: 10),
        ])
        var random = SplitMix64(seed: 21)
        for architecture in [Architecture.mnistBN, .kerasExample, odd] {
            let pixels = architecture.input.count, batch = 9
            let input = random.floats(batch * pixels, 0, 1)
            let network = try Network(architecture: architecture, seed: 5, threads: 2)
            network.gemm = try #require(GEMMKernel(instructionSet))
            let together = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch) })
            let helper = PassHelper()
            network.helper = helper
            try withServedHelper(helper) {
                // Until the helper has taken part (it is timing: the caller takes back a half
                // the helper has not claimed), and at least once per image.
                var passes = 0
                while passes < batch || (helper.halvesRun == 0 && passes < 5000) {
                    let image = passes % batch
                    let alone = Array(input.withUnsafeBufferPointer {
                        network.forward($0.baseAddress! + image * pixels, batch: 1)
                    })
                    try #require(alone == Array(together[(image * 10)..<(image * 10 + 10)]),
                                 "\(architecture.name ?? "odd") image \(image), pass \(passes)")
                    passes += 1
                }
                #expect(helper.halvesRun > 0, "\(architecture.name ?? "odd"): the helper never took a half")
                // A batch's two workers, the second on the helper.
                let batched = Array(input.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: batch) })
                #expect(batched == together, "\(architecture.name ?? "odd") batch")
            }
        }
    }
}

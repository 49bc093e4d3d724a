import Dispatch

/// Runs the partitions of a batch on a fixed number of threads.
///
/// Work is split into `partitions` pieces with a static assignment (partition p runs on worker
/// p mod threads), and results that must be summed are summed in partition order, so a run is
/// bit-identical for a given thread count.
///
/// How many threads there should be is not this module's business (it reads no files): the
/// command line and the service take it from `Platform.CPUBudget` or from their options.
public struct ThreadPool: Sendable {
    public let threads: Int

    public init(threads: Int) {
        precondition(threads >= 1, "a pool needs at least one thread")
        self.threads = threads
    }

    /// Runs `body(p)` for every partition p in 0..<partitions and returns when all are done.
    @inline(__always)
    public func run(partitions: Int, _ body: (Int) -> Void) {
        if partitions <= 0 { return }
        let workers = min(threads, partitions)
        if workers == 1 {
            for p in 0..<partitions { body(p) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = PartitionBody(run: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var p = worker
                while p < partitions {
                    shared.run(p)
                    p += workers
                }
            }
        }
    }

    /// The body of `run`, handed to the worker threads.
    ///
    /// @unchecked Sendable: `concurrentPerform` returns only when every worker is done, so the
    /// body never outlives `run`, and `run`'s contract is that partitions write disjoint data
    /// (the layers split buffers by image or by row through pointers the compiler cannot see into).
    private struct PartitionBody: @unchecked Sendable {
        let run: (Int) -> Void
    }

    /// The range of `count` items that partition `p` of `partitions` owns (contiguous, balanced).
    @inline(__always)
    public static func range(of p: Int, partitions: Int, count: Int) -> Range<Int> {
        let base = count / partitions, extra = count % partitions
        let start = p * base + min(p, extra)
        return start..<(start + base + (p < extra ? 1 : 0))
    }
}

import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Platform

/// How big the service's `MemoryBudget` is: the operator's `--memory-budget`, or a default
/// derived from the memory the process may really use.
///
/// The default is half the cgroup memory limit when there is one (cgroup v2 `memory.max`, v1
/// `memory.limit_in_bytes`, the smallest along the process's cgroup path): the other half is
/// the process's own baseline (model, code, thread stacks, allocator slack, socket buffers),
/// which the budget does not count. Without a limit it is a quarter of physical memory, at
/// most 2 GiB: enough for a full batch of large images at a time, while the rest of the
/// machine (page cache, neighbours) keeps its share, since the kernel's OOM killer would
/// pick among all of them.
public enum MemoryBudgetSizing {
    /// The size chosen and why, for the start-up log.
    public struct Choice: Equatable, Sendable {
        public var bytes: Int
        public var reason: String
    }

    /// Without a cgroup limit the budget never exceeds this.
    static let uncappedMaximum = 2 << 30
    /// Nor falls below this, so a tiny container still serves single images.
    static let minimum = 16 << 20

    /// The budget for this process: `configured` when given, otherwise derived as described above.
    public static func choose(configured: Int?, cgroupLimit: Int? = cgroupMemoryLimit(),
                              physicalMemory: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory)) -> Choice {
        if let configured {
            return Choice(bytes: configured, reason: "configured (--memory-budget / MNIST_CNN_MEMORY_BUDGET)")
        }
        if let limit = cgroupLimit, limit < physicalMemory {
            return Choice(bytes: max(minimum, limit / 2), reason: "half the cgroup memory limit of \(limit) bytes")
        }
        let quarter = physicalMemory / 4
        return Choice(bytes: max(minimum, min(uncappedMaximum, quarter)),
                      reason: "no cgroup memory limit: a quarter of \(physicalMemory) bytes of physical memory, at most 2 GiB")
    }

    /// Parses a byte count: a plain integer, or one with a Kubernetes-style suffix — binary
    /// `Ki`, `Mi`, `Gi`, `Ti` (powers of 1024) or decimal `k`/`K`, `M`, `G`, `T` (powers of 1000).
    /// Returns nil for anything else, zero, or a value that overflows.
    public static func parseByteCount(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace(newlines: false)
        let units: [(suffix: String, factor: Int)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
            ("k", 1_000), ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
        ]
        var digits = Substring(trimmed)
        var factor = 1
        if let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }) {
            digits = digits.dropLast(unit.suffix.count)
            factor = unit.factor
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value > 0 else {
            return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : bytes
    }

    /// The tightest memory limit on this process's cgroup path, v2 or v1; nil when there is
    /// none (see `ControlGroup.memoryLimit`). `read` returns a file's contents (tests inject a
    /// fake cgroup tree); by default the files are read through `FileSystem.posix`.
    public static func cgroupMemoryLimit(read: ((String) -> String?)? = nil) -> Int? {
        (read.map(ControlGroup.init(read:)) ?? ControlGroup()).memoryLimit()
    }
}

import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    /// Values at or above this mean "no limit": cgroup v1 writes `PAGE_COUNTER_MAX` pages
    /// (9223372036854771712 on 4 KiB pages) for unlimited.
    static let unlimitedThreshold = 1 << 60

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

    /// The tightest memory limit on this process's cgroup path, v2 or v1; nil when there is none.
    ///
    /// `read` returns a file's contents (injected by tests). A cgroup's path comes from
    /// `/proc/self/cgroup` (`0::/path` for v2, `N:memory:/path` or `N:...,memory,...:/path` for
    /// v1); its limit files sit under `/sys/fs/cgroup` (v2) or `/sys/fs/cgroup/memory` (v1).
    /// Every ancestor is read too (a parent's limit binds its children), and the mount root
    /// itself, which is what a container sees when its own cgroup is mounted there.
    public static func cgroupMemoryLimit(read: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) })
        -> Int? {
        guard let table = read("/proc/self/cgroup") else { return nil }
        var limits: [Int] = []
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                limits += limitsAlong(path, mount: "/sys/fs/cgroup", file: "memory.max", read: read)
            } else if controllers.contains("memory") {
                limits += limitsAlong(path, mount: "/sys/fs/cgroup/memory", file: "memory.limit_in_bytes", read: read)
            }
        }
        return limits.min()
    }

    /// The limits in `file` for `path` and each of its ancestors under `mount`, skipping
    /// missing files and "unlimited" values (`max` in v2, a near-2^63 number in v1).
    private static func limitsAlong(_ path: String, mount: String, file: String, read: (String) -> String?) -> [Int] {
        var components = path.split(separator: "/").map(String.init)
        var limits: [Int] = []
        while true {
            let directory = ([mount] + components).joined(separator: "/")
            if let text = read(directory + "/" + file)?.trimmingWhitespace(),
               let value = Int(text), value > 0, value < unlimitedThreshold {
                limits.append(value)
            }
            if components.isEmpty { break }
            components.removeLast()
        }
        return limits
    }
}

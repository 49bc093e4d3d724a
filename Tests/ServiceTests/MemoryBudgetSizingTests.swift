import Service
import Testing

/// The memory budget's size: byte counts as operators write them, and the default derived
/// from the cgroup memory limit, read from fake cgroup trees of both versions.
struct MemoryBudgetSizingTests {
    @Test func byteCountsWithAndWithoutSuffixes() {
        let cases: [(String, Int?)] = [
            ("268435456", 268_435_456), ("256Mi", 256 << 20), ("1Gi", 1 << 30), ("64Ki", 64 << 10), ("2Ti", 2 << 40),
            ("512M", 512_000_000), ("1G", 1_000_000_000), ("10k", 10_000), ("10K", 10_000), (" 256Mi ", 256 << 20),
            ("", nil), ("Mi", nil), ("-1", nil), ("0", nil), ("1.5Gi", nil), ("256MB", nil), ("lots", nil),
            ("9999999999999Ti", nil),
        ]
        for (text, expected) in cases {
            #expect(MemoryBudgetSizing.parseByteCount(text) == expected, "'\(text)'")
        }
    }

    /// A fake filesystem: path → contents.
    static func reader(_ files: [String: String]) -> (String) -> String? { { files[$0] } }

    /// cgroup v2: `memory.max` of the process's cgroup, the tightest along its ancestors,
    /// "max" meaning none.
    @Test func cgroupV2Limit() {
        let read = Self.reader([
            "/proc/self/cgroup": "0::/kubepods/pod1/container\n",
            "/sys/fs/cgroup/kubepods/pod1/container/memory.max": "max\n",
            "/sys/fs/cgroup/kubepods/pod1/memory.max": "536870912\n",
            "/sys/fs/cgroup/kubepods/memory.max": "1073741824\n",
        ])
        #expect(MemoryBudgetSizing.cgroupMemoryLimit(read: read) == 512 << 20)
        let unlimited = Self.reader(["/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max\n"])
        #expect(MemoryBudgetSizing.cgroupMemoryLimit(read: unlimited) == nil)
    }

    /// cgroup v1: the memory controller's line, `memory.limit_in_bytes`, the near-2^63 value
    /// meaning none; the mount root counts too (a container sees its own cgroup there).
    @Test func cgroupV1Limit() {
        let read = Self.reader([
            "/proc/self/cgroup": "9:name=systemd:/\n5:cpu,cpuacct:/x\n4:memory:/hostile-1\n",
            "/sys/fs/cgroup/memory/hostile-1/memory.limit_in_bytes": "536870912\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        ])
        #expect(MemoryBudgetSizing.cgroupMemoryLimit(read: read) == 512 << 20)
        let container = Self.reader([
            "/proc/self/cgroup": "4:memory:/docker/abc\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
        ])
        #expect(MemoryBudgetSizing.cgroupMemoryLimit(read: container) == 256 << 20)
        #expect(MemoryBudgetSizing.cgroupMemoryLimit(read: Self.reader([:])) == nil)
    }

    /// Half the cgroup limit; without one (or one above physical memory) a quarter of physical
    /// memory up to 2 GiB; a configured size wins.
    @Test func defaultIsHalfTheLimit() {
        let physical = 24 << 30
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: 512 << 20, physicalMemory: physical).bytes == 256 << 20)
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: nil, physicalMemory: physical).bytes == 2 << 30)
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: nil, physicalMemory: 4 << 30).bytes == 1 << 30)
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: 48 << 30, physicalMemory: physical).bytes == 2 << 30)
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: 64 << 20, physicalMemory: physical).bytes == 32 << 20)
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: 20 << 20, physicalMemory: physical).bytes == 16 << 20,
                "never below 16 MiB")
        let configured = MemoryBudgetSizing.choose(configured: 100 << 20, cgroupLimit: 512 << 20, physicalMemory: physical)
        #expect(configured.bytes == 100 << 20 && configured.reason.contains("configured"))
        #expect(MemoryBudgetSizing.choose(configured: nil, cgroupLimit: 512 << 20, physicalMemory: physical).reason.contains("cgroup"))
    }
}

import Testing
@testable import Platform

/// The cgroup memory limit, read by the same walk as the CPU quota: v2 and v1 hierarchies as
/// mountinfo shows them, and the usual mount points when there is no mountinfo to read.
@Suite struct ControlGroupTests {
    static func controlGroup(_ files: [String: String]) -> ControlGroup { ControlGroup { files[$0] } }

    /// cgroup v2 in a pod: the tightest `memory.max` along the path, `max` meaning none.
    @Test func memoryV2TakesTheTightest() {
        let group = Self.controlGroup([
            "/proc/self/cgroup": "0::/kubepods/pod1/app\n",
            "/proc/self/mountinfo": CPUBudgetTests.v2Mount,
            "/sys/fs/cgroup/kubepods/pod1/app/memory.max": "max\n",
            "/sys/fs/cgroup/kubepods/pod1/memory.max": "536870912\n",
            "/sys/fs/cgroup/kubepods/memory.max": "1073741824\n",
            "/sys/fs/cgroup/memory.max": "max\n",
        ])
        #expect(group.memoryLimit() == 512 << 20)
        #expect(group.cpuQuota() == nil, "no cpu.max anywhere")
    }

    /// Docker on cgroup v1: the container's cgroup is the root of the memory mount, so its
    /// limit is at the mount point; the near-2^63 "unlimited" of a v1 root counts as none.
    @Test func memoryV1DockerMount() {
        let mountinfo = "26 24 0:23 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
        let limited = Self.controlGroup([
            "/proc/self/cgroup": "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
            "/proc/self/mountinfo": mountinfo,
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
        ])
        #expect(limited.memoryLimit() == 256 << 20)
        let unlimited = Self.controlGroup([
            "/proc/self/cgroup": "5:memory:/docker/abc\n",
            "/proc/self/mountinfo": mountinfo,
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        ])
        #expect(unlimited.memoryLimit() == nil)
    }

    /// Without mountinfo the hierarchies are looked for where systemd and Docker mount them:
    /// `/sys/fs/cgroup` (v2) and `/sys/fs/cgroup/<controller>` (v1).
    @Test func usualMountPointsWithoutMountinfo() {
        let group = Self.controlGroup([
            "/proc/self/cgroup": "4:memory:/batch/job\n1:cpu:/batch\n",
            "/sys/fs/cgroup/memory/batch/memory.limit_in_bytes": "1048576\n",
            "/sys/fs/cgroup/cpu/batch/cpu.cfs_quota_us": "50000\n",
            "/sys/fs/cgroup/cpu/batch/cpu.cfs_period_us": "100000\n",
        ])
        #expect(group.memoryLimit() == 1 << 20)
        #expect(group.cpuQuota() == 0.5)
    }

    /// A process outside any cgroup table (no /proc) has no limits.
    @Test func noCgroupTable() {
        #expect(Self.controlGroup([:]).memoryLimit() == nil)
        #expect(Self.controlGroup([:]).cpuQuota() == nil)
    }
}

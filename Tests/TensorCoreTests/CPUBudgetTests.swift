import Testing
@testable import TensorCore

/// The CPU budget from /proc texts as the kernel writes them: cgroup v1 and v2, in and out of
/// a container, nested quotas, affinity masks.
@Suite struct CPUBudgetTests {
    /// Files of a fake /sys: a lookup in a dictionary.
    static func files(_ contents: [String: String]) -> (String) -> String? { { contents[$0] } }

    static let v2Mount = "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"

    @Test func cgroupV2InAContainerNamespace() {
        let quota = CPUBudget.cgroupQuota(
            cgroup: "0::/\n", mountinfo: "22 1 0:21 / / rw - overlay overlay rw\n" + Self.v2Mount,
            readFile: Self.files(["/sys/fs/cgroup/cpu.max": "150000 100000\n"]))
        #expect(quota == 1.5)
    }

    /// The tightest quota on the path wins, whether it is the process's own cgroup or a parent.
    @Test func cgroupV2NestedTakesTheTightest() {
        let read = Self.files([
            "/sys/fs/cgroup/kubepods/cpu.max": "400000 100000",
            "/sys/fs/cgroup/kubepods/pod1/cpu.max": "50000 100000",
            "/sys/fs/cgroup/kubepods/pod1/app/cpu.max": "max 100000",
            "/sys/fs/cgroup/cpu.max": "max 100000",
        ])
        #expect(CPUBudget.cgroupQuota(cgroup: "0::/kubepods/pod1/app\n", mountinfo: Self.v2Mount, readFile: read) == 0.5)
        #expect(CPUBudget.cgroupQuota(cgroup: "0::/kubepods/other\n", mountinfo: Self.v2Mount, readFile: read) == 4)
    }

    @Test func noQuotaAnywhere() {
        #expect(CPUBudget.cgroupQuota(cgroup: "0::/user.slice\n", mountinfo: Self.v2Mount,
                                      readFile: Self.files(["/sys/fs/cgroup/user.slice/cpu.max": "max 100000"])) == nil)
        #expect(CPUBudget.cgroupQuota(cgroup: "0::/\n", mountinfo: "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n",
                                      readFile: Self.files([:])) == nil)
    }

    /// Docker on cgroup v1: the container's cgroup is the root of its mount, so the files are
    /// at the mount point itself; `-1` means no quota.
    @Test func cgroupV1DockerMount() {
        let mountinfo = """
            25 24 0:22 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
            26 24 0:23 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory

            """
        let cgroup = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"
        let limited = Self.files(["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
                                  "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"])
        #expect(CPUBudget.cgroupQuota(cgroup: cgroup, mountinfo: mountinfo, readFile: limited) == 2)
        let unlimited = Self.files(["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                                    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"])
        #expect(CPUBudget.cgroupQuota(cgroup: cgroup, mountinfo: mountinfo, readFile: unlimited) == nil)
    }

    /// A v1 host hierarchy: the process sits in a child of the mounted root.
    @Test func cgroupV1ChildOfTheRoot() {
        let mountinfo = "40 31 0:35 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        let read = Self.files(["/sys/fs/cgroup/cpu/batch/cpu.cfs_quota_us": "150000",
                               "/sys/fs/cgroup/cpu/batch/cpu.cfs_period_us": "100000",
                               "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1",
                               "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"])
        #expect(CPUBudget.cgroupQuota(cgroup: "1:cpu:/batch\n", mountinfo: mountinfo, readFile: read) == 1.5)
    }

    @Test func allowedCPUsCountsTheMask() {
        #expect(CPUBudget.allowedCPUs(status: "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n") == 2)
        #expect(CPUBudget.allowedCPUs(status: "Cpus_allowed:\tffffffff,00000001\n") == 33)
        #expect(CPUBudget.allowedCPUs(status: "Name:\tx\n") == nil)
    }

    @Test func budgetIsTheTightestWholeNumber() {
        #expect(CPUBudget.budget(online: 8, allowed: nil, quota: nil) == 8)
        #expect(CPUBudget.budget(online: 8, allowed: 2, quota: nil) == 2)
        #expect(CPUBudget.budget(online: 8, allowed: 8, quota: 1.5) == 2)
        #expect(CPUBudget.budget(online: 8, allowed: 8, quota: 0.1) == 1)
        #expect(CPUBudget.budget(online: 0, allowed: 0, quota: nil) == 1)
    }

    /// This process: at least one CPU, and never more than the machine has online.
    @Test func thisProcess() {
        #expect(CPUBudget.cores >= 1)
        #expect(ThreadPool.availableCores == CPUBudget.cores)
    }
}

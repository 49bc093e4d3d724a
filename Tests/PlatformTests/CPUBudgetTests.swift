#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TestSupport
@testable import Platform

/// The CPU budget from /proc texts as the kernel writes them: cgroup v1 and v2, in and out of
/// a container, nested quotas, affinity masks.
@Suite struct CPUBudgetTests {
    /// A fake /proc and /sys: the process's cgroup table and mounts, and the files under them.
    static func controlGroup(cgroup: String, mountinfo: String, files: [String: String]) -> ControlGroup {
        let tree = files.merging(["/proc/self/cgroup": cgroup, "/proc/self/mountinfo": mountinfo]) { $1 }
        return ControlGroup { tree[$0] }
    }

    static let v2Mount = "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"

    @Test func cgroupV2InAContainerNamespace() {
        let quota = Self.controlGroup(
            cgroup: "0::/\n", mountinfo: "22 1 0:21 / / rw - overlay overlay rw\n" + Self.v2Mount,
            files: ["/sys/fs/cgroup/cpu.max": "150000 100000\n"]).cpuQuota()
        #expect(quota == 1.5)
    }

    /// The tightest quota on the path wins, whether it is the process's own cgroup or a parent.
    @Test func cgroupV2NestedTakesTheTightest() {
        let files = [
            "/sys/fs/cgroup/kubepods/cpu.max": "400000 100000",
            "/sys/fs/cgroup/kubepods/pod1/cpu.max": "50000 100000",
            "/sys/fs/cgroup/kubepods/pod1/app/cpu.max": "max 100000",
            "/sys/fs/cgroup/cpu.max": "max 100000",
        ]
        #expect(Self.controlGroup(cgroup: "0::/kubepods/pod1/app\n", mountinfo: Self.v2Mount, files: files).cpuQuota() == 0.5)
        #expect(Self.controlGroup(cgroup: "0::/kubepods/other\n", mountinfo: Self.v2Mount, files: files).cpuQuota() == 4)
    }

    @Test func noQuotaAnywhere() {
        #expect(Self.controlGroup(cgroup: "0::/user.slice\n", mountinfo: Self.v2Mount,
                                  files: ["/sys/fs/cgroup/user.slice/cpu.max": "max 100000"]).cpuQuota() == nil)
        #expect(Self.controlGroup(cgroup: "0::/\n", mountinfo: "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n",
                                  files: [:]).cpuQuota() == nil)
    }

    /// Docker on cgroup v1: the container's cgroup is the root of its mount, so the files are
    /// at the mount point itself; `-1` means no quota.
    @Test func cgroupV1DockerMount() {
        let mountinfo = """
            25 24 0:22 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
            26 24 0:23 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory

            """
        let cgroup = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"
        let limited = ["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
                       "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"]
        #expect(Self.controlGroup(cgroup: cgroup, mountinfo: mountinfo, files: limited).cpuQuota() == 2)
        let unlimited = ["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                         "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"]
        #expect(Self.controlGroup(cgroup: cgroup, mountinfo: mountinfo, files: unlimited).cpuQuota() == nil)
    }

    /// A v1 host hierarchy: the process sits in a child of the mounted root.
    @Test func cgroupV1ChildOfTheRoot() {
        let mountinfo = "40 31 0:35 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        let files = ["/sys/fs/cgroup/cpu/batch/cpu.cfs_quota_us": "150000",
                     "/sys/fs/cgroup/cpu/batch/cpu.cfs_period_us": "100000",
                     "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1",
                     "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"]
        #expect(Self.controlGroup(cgroup: "1:cpu:/batch\n", mountinfo: mountinfo, files: files).cpuQuota() == 1.5)
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
        #expect(CPUBudget.cores <= Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #expect(CPUBudget.read(fileSystem: .posix) == CPUBudget.cores)
    }

    /// Every file is read through the injected file system: with the /proc and cgroup files
    /// served from a temporary directory (affinity mask of 3 CPUs, a v2 quota of 1.5), the
    /// budget is 2 whatever the machine; with every open failing, it falls back to the online CPUs.
    @Test func readsThroughTheFileSystem() throws {
        #if os(Linux)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let files = ["/proc/self/status": "Name:\tx\nCpus_allowed:\t7\n", "/proc/self/cgroup": "0::/app\n",
                     "/proc/self/mountinfo": Self.v2Mount, "/sys/fs/cgroup/app/cpu.max": "150000 100000\n"]
        var served: [String: String] = [:]
        for (index, (path, content)) in files.enumerated() {
            served[path] = try directory.write(Array(content.utf8), to: "file\(index)")
        }
        let real = FileSystem.posix
        var fake = real
        fake.open = { [served] path, flags, mode in
            guard let local = served[path] else { errno = ENOENT; return -1 }
            return real.open(local, flags, mode)
        }
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(CPUBudget.read(fileSystem: fake) == min(online, 2))
        var failing = real
        failing.open = { _, _, _ in errno = EIO; return -1 }
        #expect(CPUBudget.read(fileSystem: failing) == max(1, online))
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many CPUs this process can really use, so thread counts fit a container.
///
/// `sysconf(_SC_NPROCESSORS_ONLN)` (and Foundation's `activeProcessorCount`) count the
/// machine's CPUs, but a container limited to one CPU by its cgroup quota, or a process pinned
/// by `taskset`, that starts one thread per machine CPU only makes its threads queue for the
/// quota. The budget is the online CPUs, narrowed by the affinity mask and by the CPU quota of
/// every cgroup from the process's own up to the root (rounded up to whole CPUs), at least 1.
///
/// This is where thread counts come from: the command line and the service's start-up read it
/// and hand the number to `TensorCore`, which reads nothing itself.
public enum CPUBudget {
    /// The budget of this process, read once.
    public static let cores: Int = read(fileSystem: .posix)

    /// The budget, reading `/proc/self/status` and the cgroup files through `fileSystem`.
    public static func read(fileSystem: FileSystem) -> Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #if os(Linux)
        let status = try? fileSystem.readAll("/proc/self/status", limit: ControlGroup.fileLimit)
        return budget(online: online, allowed: status.flatMap { allowedCPUs(status: String(decoding: $0, as: UTF8.self)) },
                      quota: ControlGroup(fileSystem: fileSystem).cpuQuota())
        #else
        return max(1, online)
        #endif
    }

    /// The smallest of the three, with a fractional quota rounded up (1.5 CPUs of quota keep
    /// two threads busy part of the time), and never less than 1.
    static func budget(online: Int, allowed: Int?, quota: Double?) -> Int {
        var cores = max(1, online)
        if let allowed, allowed > 0 { cores = min(cores, allowed) }
        if let quota, quota > 0 { cores = min(cores, Int(quota.rounded(.up))) }
        return max(1, cores)
    }

    /// The number of CPUs in the `Cpus_allowed:` mask of `/proc/self/status` (hex words,
    /// comma-separated), or nil when there is none.
    static func allowedCPUs(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && character != " " && character != "\t" {
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count
    }
}

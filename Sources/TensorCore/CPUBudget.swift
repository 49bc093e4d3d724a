#if canImport(Glibc)
import Glibc
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
public enum CPUBudget {
    /// The budget of this process, read once.
    public static let cores: Int = {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #if os(Linux)
        let quota = readFile("/proc/self/cgroup").flatMap { cgroup in
            readFile("/proc/self/mountinfo").flatMap { mountinfo in
                cgroupQuota(cgroup: cgroup, mountinfo: mountinfo, readFile: readFile)
            }
        }
        return budget(online: online, allowed: readFile("/proc/self/status").flatMap(allowedCPUs(status:)), quota: quota)
        #else
        return max(1, online)
        #endif
    }()

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

    /// The tightest CPU quota, in CPUs, on the path from the process's cgroup up to the root
    /// of its hierarchy, for cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us` over
    /// `cpu.cfs_period_us`); nil when no cgroup on the path has one.
    ///
    /// - Parameters:
    ///   - cgroup: `/proc/self/cgroup`, whose lines are `id:controllers:path`.
    ///   - mountinfo: `/proc/self/mountinfo`, to find where the hierarchy is mounted and which
    ///     cgroup is its root (in a container, the container's own cgroup).
    ///   - readFile: reads a file, nil when it cannot.
    static func cgroupQuota(cgroup: String, mountinfo: String, readFile: (String) -> String?) -> Double? {
        var tightest: Double?
        for mount in cgroupMounts(mountinfo) {
            guard let path = cgroupPath(cgroup, version2: mount.version2) else { continue }
            // The process's path is relative to the hierarchy's root; the mount shows the
            // cgroup `mount.root`, so only the part below it is under the mount point.
            guard path == mount.root || path.hasPrefix(mount.root == "/" ? "/" : mount.root + "/") else { continue }
            var relative = String(path.dropFirst(mount.root == "/" ? 0 : mount.root.count))
            if relative.isEmpty { relative = "/" }
            while true {
                let directory = mount.point + (relative == "/" ? "" : relative)
                let quota = mount.version2
                    ? readFile(directory + "/cpu.max").flatMap(quotaV2(cpuMax:))
                    : readFile(directory + "/cpu.cfs_quota_us").flatMap { quota in
                        readFile(directory + "/cpu.cfs_period_us").flatMap { quotaV1(quota: quota, period: $0) }
                    }
                if let quota { tightest = min(tightest ?? quota, quota) }
                guard relative != "/" && !relative.isEmpty, let slash = relative.lastIndex(of: "/") else { break }
                relative = slash == relative.startIndex ? "/" : String(relative[..<slash])
            }
        }
        return tightest
    }

    /// A cgroup v2 `cpu.max` (`max 100000`, or `150000 100000` for 1.5 CPUs).
    static func quotaV2(cpuMax: String) -> Double? {
        let fields = cpuMax.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), period > 0 else { return nil }
        return quota / period
    }

    /// A cgroup v1 quota (`-1` for none) over its period, both in microseconds.
    static func quotaV1(quota: String, period: String) -> Double? {
        func number(_ text: String) -> Double? { text.split(whereSeparator: \.isWhitespace).first.flatMap { Double($0) } }
        guard let quota = number(quota), quota > 0, let period = number(period), period > 0 else { return nil }
        return quota / period
    }

    /// The cgroup hierarchies that carry the CPU controller: `(mount point, root, is v2)`.
    private static func cgroupMounts(_ mountinfo: String) -> [(point: String, root: String, version2: Bool)] {
        mountinfo.split(separator: "\n").compactMap { line in
            // `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`
            let fields = line.split(separator: " ")
            guard fields.count > 6, let separator = fields[6...].firstIndex(of: "-"), separator + 3 < fields.count else {
                return nil
            }
            let type = fields[separator + 1]
            let superOptions = fields[separator + 3].split(separator: ",")
            if type == "cgroup2" {
                return (unescape(fields[4]), unescape(fields[3]), true)
            }
            if type == "cgroup" && superOptions.contains("cpu") {
                return (unescape(fields[4]), unescape(fields[3]), false)
            }
            return nil
        }
    }

    /// The process's cgroup path in the v2 hierarchy (`0::path`) or the v1 hierarchy whose
    /// controllers include `cpu`.
    private static func cgroupPath(_ cgroup: String, version2: Bool) -> String? {
        for line in cgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",")
            if version2 ? (parts[0] == "0" && parts[1].isEmpty) : controllers.contains("cpu") {
                return String(parts[2])
            }
        }
        return nil
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A small text file's contents (the /proc and /sys files read here), nil when unreadable.
    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The control groups (cgroups, v1 or v2) this process is in, and the CPU and memory limits
/// they set: what a container's `--cpus` and `--memory` become.
///
/// The process's cgroup paths come from `/proc/self/cgroup` (`0::/path` for v2, `N:cpu,cpuacct:/path`
/// for a v1 hierarchy), and where each hierarchy is mounted, and which of its cgroups the mount
/// shows as its root, from `/proc/self/mountinfo` (in a container the root is the container's own
/// cgroup). Without a readable mountinfo the usual mount points are assumed: `/sys/fs/cgroup`
/// for v2, `/sys/fs/cgroup/<controller>` for v1. A parent's limit binds its children, so every
/// cgroup from the process's own up to the mounted root is read, and the tightest limit wins.
public struct ControlGroup {
    /// A small text file's content, nil when it cannot be read.
    let read: (String) -> String?

    /// Reads through `fileSystem`, so a test can fail any read.
    public init(fileSystem: FileSystem = .posix) {
        self.init { path in
            (try? fileSystem.readAll(path, limit: Self.fileLimit)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Reads with `read`: for tests, a fake tree of path → content.
    public init(read: @escaping (String) -> String?) {
        self.read = read
    }

    /// The largest of the /proc and cgroup files read here (mountinfo of a host with many
    /// mounts is the biggest, tens of KiB); anything larger is not what it should be.
    static let fileLimit = 1 << 20

    /// The tightest CPU quota, in CPUs (1.5 for `150000 100000`), on the path from the
    /// process's cgroup up to its hierarchy's root: cgroup v2 `cpu.max`, or v1
    /// `cpu.cfs_quota_us` over `cpu.cfs_period_us`. Nil when no cgroup on the path has one.
    public func cpuQuota() -> Double? {
        directories(controller: "cpu").compactMap { directory in
            directory.version2
                ? read(directory.path + "/cpu.max").flatMap(Self.quotaV2(cpuMax:))
                : read(directory.path + "/cpu.cfs_quota_us").flatMap { quota in
                    read(directory.path + "/cpu.cfs_period_us").flatMap { Self.quotaV1(quota: quota, period: $0) }
                }
        }.min()
    }

    /// The tightest memory limit, in bytes, on the path from the process's cgroup up to its
    /// hierarchy's root: cgroup v2 `memory.max`, or v1 `memory.limit_in_bytes`. Nil when no
    /// cgroup on the path has one (`max` in v2, a value near 2^63 in v1).
    public func memoryLimit() -> Int? {
        directories(controller: "memory").compactMap { directory in
            read(directory.path + (directory.version2 ? "/memory.max" : "/memory.limit_in_bytes"))
                .flatMap(Self.memoryLimit(text:))
        }.min()
    }

    /// Values at or above this mean "no limit": cgroup v1 writes `PAGE_COUNTER_MAX` pages
    /// (9223372036854771712 on 4 KiB pages) for unlimited.
    static let unlimitedMemory = 1 << 60

    /// A v2 `memory.max` or v1 `memory.limit_in_bytes`; nil for unlimited or unreadable.
    static func memoryLimit(text: String) -> Int? {
        guard let value = Int(text.split(whereSeparator: \.isWhitespace).first ?? ""),
              value > 0, value < unlimitedMemory else { return nil }
        return value
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

    /// The directories of this process's cgroups for `controller`, each with its ancestors up
    /// to the mounted root: the v2 hierarchy (whatever controllers it has; a missing file is
    /// just skipped) and the v1 hierarchy that carries `controller`.
    func directories(controller: String) -> [(path: String, version2: Bool)] {
        guard let cgroup = read("/proc/self/cgroup") else { return [] }
        let mounts = read("/proc/self/mountinfo").map { Self.mounts($0, controller: controller) }
            ?? [Mount(point: "/sys/fs/cgroup", root: "/", version2: true),
                Mount(point: "/sys/fs/cgroup/" + controller, root: "/", version2: false)]
        var directories: [(path: String, version2: Bool)] = []
        for mount in mounts {
            guard let path = Self.cgroupPath(cgroup, controller: controller, version2: mount.version2) else { continue }
            // The process's path is relative to the hierarchy's root; the mount shows the
            // cgroup `mount.root`, so only the part below it is under the mount point.
            guard path == mount.root || path.hasPrefix(mount.root == "/" ? "/" : mount.root + "/") else { continue }
            var relative = String(path.dropFirst(mount.root == "/" ? 0 : mount.root.count))
            if relative.isEmpty { relative = "/" }
            while true {
                directories.append((mount.point + (relative == "/" ? "" : relative), mount.version2))
                guard relative != "/", let slash = relative.lastIndex(of: "/") else { break }
                relative = slash == relative.startIndex ? "/" : String(relative[..<slash])
            }
        }
        return directories
    }

    /// A mounted cgroup hierarchy: where, which of its cgroups the mount shows, which version.
    struct Mount: Equatable {
        var point: String
        var root: String
        var version2: Bool
    }

    /// The v2 hierarchy and the v1 hierarchies carrying `controller`, from mountinfo.
    static func mounts(_ mountinfo: String, controller: String) -> [Mount] {
        mountinfo.split(separator: "\n").compactMap { line in
            // `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`
            let fields = line.split(separator: " ")
            guard fields.count > 6, let separator = fields[6...].firstIndex(of: "-"), separator + 3 < fields.count else {
                return nil
            }
            let type = fields[separator + 1]
            let superOptions = fields[separator + 3].split(separator: ",")
            if type == "cgroup2" {
                return Mount(point: unescape(fields[4]), root: unescape(fields[3]), version2: true)
            }
            if type == "cgroup" && superOptions.contains(Substring(controller)) {
                return Mount(point: unescape(fields[4]), root: unescape(fields[3]), version2: false)
            }
            return nil
        }
    }

    /// The process's cgroup path in the v2 hierarchy (`0::path`) or in the v1 hierarchy whose
    /// controllers include `controller`.
    static func cgroupPath(_ cgroup: String, controller: String, version2: Bool) -> String? {
        for line in cgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",")
            if version2 ? (parts[0] == "0" && parts[1].isEmpty) : controllers.contains(Substring(controller)) {
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
}

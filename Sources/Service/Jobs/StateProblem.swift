/// A file in the state directory that could not be used: what it was, why, and where it was
/// moved. The service logs these at start and keeps going (issue 6: "reported and set aside,
/// never fatal").
public struct StateProblem: Equatable, Sendable, CustomStringConvertible {
    /// The file as it was found.
    public var path: String
    /// Why it was set aside (or what went wrong), in words for the log.
    public var reason: String
    /// Where it now is, under `<state-dir>/quarantine/`; nil if it could not be moved (or was
    /// not a file to move, e.g. a persisted choice that no longer loads).
    public var quarantinedTo: String?

    public init(path: String, reason: String, quarantinedTo: String?) {
        self.path = path
        self.reason = reason
        self.quarantinedTo = quarantinedTo
    }

    public var description: String {
        "\(path): \(reason)" + (quarantinedTo.map { "; moved to \($0)" } ?? "")
    }
}

/// What a succeeded job does with its model (`activate` in `POST /train`).
public enum ActivationPolicy: String, Codable, CaseIterable, Sendable {
    /// Register it only; activate later with `POST /models/{id}/activate`.
    case never
    /// Make it the active model when its test accuracy beats the active model's (the default:
    /// a retrain never silently makes `/predict` worse).
    case ifBetter = "if_better"
    /// Always make it the active model.
    case always
}

/// The job's `activate` object: the policy asked for and, once the job succeeded, what
/// happened (`activated` and why).
public struct ActivationOutcome: Codable, Hashable, Sendable {
    public var policy: ActivationPolicy
    /// nil until the job has succeeded.
    public var activated: Bool?
    public var reason: String?

    public init(policy: ActivationPolicy, activated: Bool? = nil, reason: String? = nil) {
        self.policy = policy
        self.activated = activated
        self.reason = reason
    }
}

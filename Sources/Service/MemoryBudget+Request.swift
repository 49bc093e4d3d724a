import HTTP1

extension MemoryBudget {
    /// Reserves `bytes` for one request's work, or throws the refusal the client gets: 503
    /// with `Retry-After` when other requests hold the budget now, 413 when the budget could
    /// never hold it. `purpose` names the work in the detail ("decoding 3 images").
    func reserveForRequest(_ bytes: Int, for purpose: String) throws(HTTPError) -> MemoryReservation {
        if let reservation = reserve(bytes) { return reservation }
        guard canEverFit(bytes) else {
            throw HTTPError(status: 413, title: "Request too large for memory",
                            detail: "\(purpose) needs \(bytes) bytes, more than the server's memory budget of \(capacity) bytes "
                                + "allows one request")
        }
        throw HTTPError(status: 503, title: "Server busy",
                        detail: "\(purpose) needs \(bytes) bytes and the memory budget is taken by other requests; retry shortly",
                        headers: ["Retry-After": "1"])
    }
}

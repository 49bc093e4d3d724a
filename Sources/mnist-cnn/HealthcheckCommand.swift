import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MNISTDownload

/// What the container's HEALTHCHECK runs: no curl in the image, so the binary probes itself,
/// with the same small HTTP/1.1 client `mnist-cnn data download` fetches files with.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the service answers its liveness probe (GET /healthz → 200), 1 otherwise.")

    @Option(help: "Probe URL (default http://127.0.0.1:$MNIST_CNN_PORT/healthz).") var url: String?
    @Option(help: "Seconds to wait for an answer.") var timeout: Double = 3

    func run() throws {
        let port = Environment.value("MNIST_CNN_PORT") ?? "8080"
        let target = url ?? "http://127.0.0.1:\(port)/healthz"
        guard var probe = URLComponents(string: target), probe.scheme == "http", probe.host != nil else {
            printError("--url must be an http:// URL, got \(target)")
            throw ExitCode.failure
        }
        // The probe asks for the path alone; a URL without one asks for the liveness endpoint.
        probe.query = nil
        probe.fragment = nil
        if probe.path.isEmpty { probe.path = "/healthz" }
        var status = 0
        do {
            try HTTPGet.get(probe.string ?? target, timeoutSeconds: timeout, head: { status = $0.status }, body: { _ in })
        } catch {
            printError("\(target): \(error)")
            throw ExitCode.failure
        }
        guard status == 200 else {
            printError("\(target) answered \(status)")
            throw ExitCode.failure
        }
    }
}

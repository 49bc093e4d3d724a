import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the container's HEALTHCHECK runs: no curl in the image, so the binary probes itself.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the service answers its liveness probe (GET /healthz → 200), 1 otherwise.")

    @Option(help: "Probe URL (default http://127.0.0.1:$MNIST_CNN_PORT/healthz).") var url: String?
    @Option(help: "Seconds to wait for an answer.") var timeout: Double = 3

    func run() throws {
        let port = Environment.value("MNIST_CNN_PORT") ?? "8080"
        let target = url ?? "http://127.0.0.1:\(port)/healthz"
        guard let endpoint = URL(string: target), endpoint.scheme == "http", let host = endpoint.host else {
            printError("--url must be an http:// URL, got \(target)")
            throw ExitCode.failure
        }
        let path = endpoint.path.isEmpty ? "/healthz" : endpoint.path
        switch Probe.get(host: host, port: endpoint.port ?? 80, path: path, timeout: timeout) {
        case .success(200):
            return
        case .success(let status):
            printError("\(target) answered \(status)")
            throw ExitCode.failure
        case .failure(let error):
            printError("\(target): \(error.description)")
            throw ExitCode.failure
        }
    }
}

/// A minimal blocking HTTP/1.1 GET over a socket, with a deadline: enough for a probe.
enum Probe {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func get(host: String, port: Int, path: String, timeout: Double) -> Result<Int, Failure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            return .failure(Failure(description: "cannot resolve \(host)"))
        }
        defer { freeaddrinfo(info) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(Failure(description: "socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return .failure(Failure(description: "connect: \(String(cString: strerror(errno)))"))
        }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\nUser-Agent: mnist-cnn-healthcheck\r\n\r\n"
        let sent = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        guard sent == request.utf8.count else { return .failure(Failure(description: "send failed")) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received > 12 else { return .failure(Failure(description: "no answer within \(timeout) s")) }
        let line = String(decoding: buffer[0..<received], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            return .failure(Failure(description: "not an HTTP answer"))
        }
        return .success(status)
    }
}

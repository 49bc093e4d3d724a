import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Service

/// Prints the admin token a service generated into its state directory, for scripts and
/// operators: `curl -H "Authorization: Bearer $(mnist-cnn token --state-dir DIR)" ...`.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print the admin token from a state directory (the one `serve` generated at its first start).",
        discussion: """
            Without --admin-token (MNIST_CNN_ADMIN_TOKEN), `serve` creates a random token at its first \
            start in <state-dir>/admin-token (mode 0600) and requires it for POST /train, \
            DELETE /train/{id} and POST /models/{id}/activate. This prints it, on one line, so it \
            can go into an Authorization: Bearer header. A configured token is not stored anywhere \
            and is not printed.
            """)

    @Option(help: "The service's state directory [MNIST_CNN_STATE_DIR] (default ./var).") var stateDir: String?

    func run() throws {
        let root = stateDir ?? Environment.value("MNIST_CNN_STATE_DIR") ?? "var"
        do {
            print(try AdminToken.read(state: StateDirectory(root: root)))
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@main
struct MNISTCNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist-cnn",
        abstract: "A convolutional network that reads handwritten digits: train it, evaluate it, serve it over HTTP.",
        subcommands: [
            ServeCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
            BenchCommand.self, HealthcheckCommand.self, TokenCommand.self, QuantizeCommand.self, DataCommand.self,
        ])
}

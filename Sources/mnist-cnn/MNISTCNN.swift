import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore

@main
struct MNISTCNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist-cnn",
        abstract: "A convolutional network that reads handwritten digits: train it, evaluate it, serve it over HTTP.",
        subcommands: [
            ServeCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
            BenchCommand.self, HealthcheckCommand.self, TokenCommand.self, QuantizeCommand.self, DataCommand.self,
        ])

    /// Hands the `MNIST_CNN_ISA` override (avx512, avx2 or baseline: run the fp32 kernels of
    /// that instruction set, to test every path on one machine) to `TensorCore` before any
    /// network exists, then runs the command.
    static func main() {
        GEMMKernel.use(Environment.value("MNIST_CNN_ISA").flatMap(InstructionSet.init(rawValue:)))
        main(nil)
    }
}

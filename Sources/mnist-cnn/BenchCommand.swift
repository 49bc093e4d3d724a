import ArgumentParser
import Platform
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore
import Platform

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure single-image latency, batched inference and training throughput on synthetic input.",
        discussion: """
            Single-image latency runs on one thread; batched inference (batch 256) and training \
            (batch 128, forward + backward + Adam) on --threads threads. Build with -c release.
            """)

    @Option(help: "Architecture: a name (keras-example, mnist-bn, tiny) or a JSON file with a layer list.")
    var arch = "keras-example"

    @Option(help: "Threads for the batched and training figures (default: all cores).")
    var threads: Int = CPUBudget.cores

    @Option(help: "Seconds to sample each figure.")
    var seconds: Double = 3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "fp32, or int8 to measure the int8 network's inference too (right after fp32's, with the speedups).")
    var precision: BenchPrecision = .fp32

    @Option(help: "int8 kernel: avx512_vnni, avx2, reference (default: the best this CPU has).")
    var int8Kernel: Int8InstructionSet = .best

    func run() throws {
        try reportingErrors {
            guard threads >= 1 else { throw CommandFailure("--threads must be at least 1") }
            let architecture = try ArchitectureOption.resolve(arch)
            let report = try Benchmark.run(architecture: architecture, threads: threads, seconds: seconds,
                                           int8: precision == .int8 ? int8Kernel : nil)
            if json {
                print(try jsonLine(report))
                return
            }
            print("""
                architecture           \(report.architecture) (\(report.parameters) parameters, \
                \(report.multiplyAddsPerImage) multiply-adds per image)
                kernel                 \(report.instructionSet)
                single image, 1 thread \(String(cFormat: "%.1f", report.singleImageMicrosecondsMedian)) µs median, \
                \(String(cFormat: "%.1f", report.singleImageMicrosecondsP99)) µs p99 \
                (\(String(cFormat: "%.0f", report.singleImageGFLOPS)) GFLOP/s)\(splitLine(report))
                batch \(report.batchSize), \(report.threads) threads  \(String(cFormat: "%.0f", report.batchImagesPerSecond)) images/s \
                (\(String(cFormat: "%.0f", report.batchGFLOPS)) GFLOP/s)
                training, batch \(report.trainBatchSize)    \(String(cFormat: "%.0f", report.trainImagesPerSecond)) images/s \
                (\(String(cFormat: "%.0f", report.trainGFLOPS)) GFLOP/s)
                """)
            if let int8 = report.int8 {
                print("""
                    int8 kernel            \(int8.instructionSet)
                    int8 single image      \(String(cFormat: "%.1f", int8.singleImageMicrosecondsMedian)) µs median, \
                    \(String(cFormat: "%.1f", int8.singleImageMicrosecondsP99)) µs p99 (\(String(cFormat: "%.2f", int8.singleImageSpeedup))x fp32)
                    int8 batch \(report.batchSize)         \(String(cFormat: "%.0f", int8.batchImagesPerSecond)) images/s \
                    (\(String(cFormat: "%.2f", int8.batchSpeedup))x fp32)
                    """)
            }
        }
    }
}

/// The split single-image figure as a line of its own, or nothing with one thread.
private func splitLine(_ report: BenchmarkReport) -> String {
    guard let split = report.singleImageSplitMicrosecondsMedian else { return "" }
    return "\nsingle image, 2 threads \(String(cFormat: "%.1f", split)) µs median (a second thread takes half of each layer)"
}

/// What `bench --precision` measures besides the fp32 figures.
enum BenchPrecision: String, ExpressibleByArgument, CaseIterable {
    case fp32, int8
}

/// `--arch` takes a known name or a path to a JSON architecture.
enum ArchitectureOption {
    static func resolve(_ value: String) throws -> Architecture {
        if let known = Architecture.named[value] { return known }
        guard FileManager.default.fileExists(atPath: value) else {
            throw ArchitectureError.unknownName(value)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: value))
        do {
            let architecture = try JSONDecoder().decode(Architecture.self, from: data)
            _ = try architecture.shapes()
            return architecture
        } catch let error as ArchitectureError {
            throw CommandFailure("\(value): \(error)")
        } catch {
            throw CommandFailure("\(value): not an architecture JSON (a layer list or {\"input\", \"layers\"}): \(error)")
        }
    }
}

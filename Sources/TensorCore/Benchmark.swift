import Dispatch

/// Performance figures for one architecture on synthetic input: what `mnist-cnn bench` prints.
public struct BenchmarkReport: Codable, Sendable {
    public var architecture: String
    public var instructionSet: String
    public var threads: Int
    public var multiplyAddsPerImage: Int
    public var parameters: Int
    public var singleImageMicrosecondsMedian: Double
    public var singleImageMicrosecondsP99: Double
    public var singleImageGFLOPS: Double
    /// The single image split over two threads with a `PassHelper`, as the service runs a lone
    /// request; nil with one thread.
    public var singleImageSplitMicrosecondsMedian: Double?
    public var batchSize: Int
    public var batchImagesPerSecond: Double
    public var batchGFLOPS: Double
    public var trainBatchSize: Int
    public var trainImagesPerSecond: Double
    /// Forward + backward counted as 3x the forward multiply-adds.
    public var trainGFLOPS: Double
    /// The int8 inference figures, measured right after the fp32 ones, when asked for.
    public var int8: Int8BenchmarkFigures?

    enum CodingKeys: String, CodingKey {
        case architecture, threads, parameters
        case instructionSet = "instruction_set"
        case multiplyAddsPerImage = "multiply_adds_per_image"
        case singleImageMicrosecondsMedian = "single_image_us_median"
        case singleImageMicrosecondsP99 = "single_image_us_p99"
        case singleImageGFLOPS = "single_image_gflops"
        case singleImageSplitMicrosecondsMedian = "single_image_split_us_median"
        case batchSize = "batch_size"
        case batchImagesPerSecond = "batch_images_per_second"
        case batchGFLOPS = "batch_gflops"
        case trainBatchSize = "train_batch_size"
        case trainImagesPerSecond = "train_images_per_second"
        case trainGFLOPS = "train_gflops"
        case int8
    }
}

/// Single-image latency and batched throughput of the int8 network, with its ratios to fp32
/// from the same run.
public struct Int8BenchmarkFigures: Codable, Sendable {
    public var instructionSet: String
    public var singleImageMicrosecondsMedian: Double
    public var singleImageMicrosecondsP99: Double
    public var batchImagesPerSecond: Double
    /// fp32 median / int8 median, and int8 / fp32 images per second.
    public var singleImageSpeedup: Double
    public var batchSpeedup: Double

    enum CodingKeys: String, CodingKey {
        case instructionSet = "instruction_set"
        case singleImageMicrosecondsMedian = "single_image_us_median"
        case singleImageMicrosecondsP99 = "single_image_us_p99"
        case batchImagesPerSecond = "batch_images_per_second"
        case singleImageSpeedup = "single_image_speedup"
        case batchSpeedup = "batch_speedup"
    }
}

public enum Benchmark {
    /// Runs `body` repeatedly for about `seconds` (after a warm-up) and returns each run's
    /// duration in seconds, sorted. Timed with the standard library's monotonic clock, so this
    /// module needs no system layer.
    static func sample(seconds: Double, minimumRuns: Int = 10, _ body: () -> Void) -> [Double] {
        let clock = ContinuousClock()
        let warmupEnd = clock.now + .seconds(min(0.2, seconds / 5))
        while clock.now < warmupEnd { body() }
        var times: [Double] = []
        let end = clock.now + .seconds(seconds)
        while clock.now < end || times.count < minimumRuns {
            let elapsed = clock.measure(body).components
            times.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
        }
        return times.sorted()
    }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    /// Measures single-image latency (one thread, then split over two with a `PassHelper` when
    /// `threads` allows), batched inference and training throughput
    /// (`threads` threads), each for about `seconds`; with `int8`, also the int8 network's
    /// inference figures on that kernel (calibrated on the synthetic images), right after fp32's.
    public static func run(architecture: Architecture, threads: Int, batchSize: Int = 256, trainBatchSize: Int = 128,
                           seconds: Double = 2, int8: Int8InstructionSet? = nil) throws -> BenchmarkReport {
        var generator = SeededGenerator(seed: 1)
        let classes = try architecture.outputCount()
        let inputCount = architecture.input.count
        let images = (0..<(max(batchSize, trainBatchSize) * inputCount)).map { _ in generator.nextUnitFloat() }
        let labels = (0..<trainBatchSize).map { UInt8($0 % classes) }
        let macs = Double(try Network(architecture: architecture).multiplyAdds)

        let single = try Network(architecture: architecture, seed: 1, threads: 1)
        let singleTimes = images.withUnsafeBufferPointer { input in
            sample(seconds: seconds) { _ = single.forward(input.baseAddress!, batch: 1) }
        }
        let median = percentile(singleTimes, 0.5)

        var splitMedian: Double?
        if threads >= 2 {
            let helper = PassHelper()
            let served = DispatchSemaphore(value: 0)
            DispatchQueue(label: "pass-helper").async {
                helper.serve()
                served.signal()
            }
            single.helper = helper
            let splitTimes = images.withUnsafeBufferPointer { input in
                sample(seconds: seconds) { _ = single.forward(input.baseAddress!, batch: 1) }
            }
            single.helper = nil
            helper.stop()
            served.wait()
            splitMedian = percentile(splitTimes, 0.5)
        }

        let batched = try Network(architecture: architecture, seed: 1, threads: threads)
        let batchTimes = images.withUnsafeBufferPointer { input in
            sample(seconds: seconds) { _ = batched.forward(input.baseAddress!, batch: batchSize) }
        }
        let batchRate = Double(batchSize) / percentile(batchTimes, 0.5)

        var int8Figures: Int8BenchmarkFigures?
        if let int8 {
            let calibration = try images.withUnsafeBufferPointer {
                try Int8Calibration.measure(network: single, images: $0.baseAddress!, count: batchSize, source: "synthetic")
            }
            let singleInt8 = try QuantizedNetwork(network: single, calibration: calibration, instructionSet: int8)
            let singleInt8Times = images.withUnsafeBufferPointer { input in
                sample(seconds: seconds) { _ = singleInt8.forward(input.baseAddress!, batch: 1) }
            }
            let batchedInt8 = try QuantizedNetwork(network: single, calibration: calibration, instructionSet: int8, threads: threads)
            let batchInt8Times = images.withUnsafeBufferPointer { input in
                sample(seconds: seconds) { _ = batchedInt8.forward(input.baseAddress!, batch: batchSize) }
            }
            let int8Median = percentile(singleInt8Times, 0.5)
            let int8Rate = Double(batchSize) / percentile(batchInt8Times, 0.5)
            int8Figures = Int8BenchmarkFigures(
                instructionSet: int8.rawValue, singleImageMicrosecondsMedian: int8Median * 1e6,
                singleImageMicrosecondsP99: percentile(singleInt8Times, 0.99) * 1e6, batchImagesPerSecond: int8Rate,
                singleImageSpeedup: median / int8Median, batchSpeedup: int8Rate / batchRate)
        }

        let trained = try Network(architecture: architecture, seed: 1, threads: threads)
        let optimizer = Optimizer(settings: OptimizerSettings(kind: .adam), network: trained)
        var logitsGradient = [Float](repeating: 0, count: trainBatchSize * classes)
        var step: UInt64 = 0
        let trainTimes = images.withUnsafeBufferPointer { input in
            sample(seconds: seconds) {
                step += 1
                let logits = trained.forward(input.baseAddress!, batch: trainBatchSize, training: true, stepSeed: step)
                softmaxCrossEntropy(logits: logits.baseAddress!, labels: labels, batch: trainBatchSize, classes: classes,
                                    logitsGradient: &logitsGradient)
                trained.zeroGradients()
                trained.backward(logitsGradient, batch: trainBatchSize, stepSeed: step)
                optimizer.update(trained, learningRate: 1e-4)
            }
        }
        let trainRate = Double(trainBatchSize) / percentile(trainTimes, 0.5)

        return BenchmarkReport(
            architecture: architecture.name ?? "custom", instructionSet: batched.gemm.instructionSet.rawValue,
            threads: threads, multiplyAddsPerImage: Int(macs), parameters: single.parameterCount,
            singleImageMicrosecondsMedian: median * 1e6, singleImageMicrosecondsP99: percentile(singleTimes, 0.99) * 1e6,
            singleImageGFLOPS: 2 * macs / median * 1e-9, singleImageSplitMicrosecondsMedian: splitMedian.map { $0 * 1e6 },
            batchSize: batchSize, batchImagesPerSecond: batchRate, batchGFLOPS: 2 * macs * batchRate * 1e-9,
            trainBatchSize: trainBatchSize, trainImagesPerSecond: trainRate, trainGFLOPS: 6 * macs * trainRate * 1e-9,
            int8: int8Figures)
    }
}

import MNISTData
import TensorCore

/// How a network does on a labelled set.
public struct Evaluation: Codable, Hashable, Sendable {
    public var count: Int
    public var correct: Int
    public var loss: Float
    /// confusion[label][prediction]
    public var confusion: [[Int]]

    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    enum CodingKeys: String, CodingKey { case count, correct, loss, confusion, accuracy }

    public init(count: Int, correct: Int, loss: Float, confusion: [[Int]]) {
        self.count = count
        self.correct = correct
        self.loss = loss
        self.confusion = confusion
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        correct = try c.decode(Int.self, forKey: .correct)
        loss = try c.decode(Float.self, forKey: .loss)
        confusion = try c.decode([[Int]].self, forKey: .confusion)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(correct, forKey: .correct)
        try c.encode(count, forKey: .count)
        try c.encode(loss, forKey: .loss)
        try c.encode(confusion, forKey: .confusion)
    }

    /// Runs `network` over every image of `dataset` (MNIST bytes scaled to 0...1).
    public static func run(_ network: Network, on dataset: MNISTDataset, batchSize: Int = 500) -> Evaluation {
        run(classes: network.classes, on: dataset, batchSize: batchSize) { network.forward($0, batch: $1) }.evaluation
    }

    /// Runs `forward` (images in, logits out, as `Network.forward`) over every image of
    /// `dataset`; returns the figures and each image's predicted class.
    static func run(classes: Int, on dataset: MNISTDataset, batchSize: Int = 500,
                    forward: (UnsafePointer<Float>, Int) -> UnsafeBufferPointer<Float>)
        -> (evaluation: Evaluation, predictions: [Int]) {
        let pixels = dataset.pixelsPerImage
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var predictions = [Int]()
        predictions.reserveCapacity(dataset.count)
        var correct = 0
        var lossSum: Double = 0
        var input = [Float](repeating: 0, count: batchSize * pixels)
        var start = 0
        while start < dataset.count {
            let batch = min(batchSize, dataset.count - start)
            input.withUnsafeMutableBufferPointer { dataset.writeImages(at: start..<(start + batch), into: $0.baseAddress!) }
            let logits = input.withUnsafeBufferPointer { forward($0.baseAddress!, batch) }
            dataset.labels.withUnsafeBufferPointer { labels in
                let result = softmaxCrossEntropy(logits: logits.baseAddress!, labels: labels.baseAddress! + start,
                                                 batch: batch, classes: classes, logitsGradient: nil)
                lossSum += Double(result.loss) * Double(batch)
                correct += result.correct
                for b in 0..<batch {
                    let row = logits.baseAddress! + b * classes
                    var best = 0
                    for j in 1..<classes where row[j] > row[best] { best = j }
                    confusion[Int(labels[start + b])][best] += 1
                    predictions.append(best)
                }
            }
            start += batch
        }
        let evaluation = Evaluation(count: dataset.count, correct: correct,
                                    loss: dataset.count == 0 ? 0 : Float(lossSum / Double(dataset.count)), confusion: confusion)
        return (evaluation, predictions)
    }
}

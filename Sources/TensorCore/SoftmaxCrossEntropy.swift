#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax of each row of `logits` [batch][classes] into `probabilities`, stable against overflow.
public func softmax(_ logits: UnsafePointer<Float>, into probabilities: UnsafeMutablePointer<Float>,
                    batch: Int, classes: Int) {
    for b in 0..<batch {
        let z = logits + b * classes, p = probabilities + b * classes
        var largest = z[0]
        for j in 1..<classes { largest = max(largest, z[j]) }
        var total: Float = 0
        for j in 0..<classes {
            p[j] = expf(z[j] - largest)
            total += p[j]
        }
        for j in 0..<classes { p[j] /= total }
    }
}

/// Softmax of each row of `logits` [batch][classes] as a new array: what `predict` returns.
func softmax(_ logits: UnsafeBufferPointer<Float>, batch: Int, classes: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: batch * classes) { buffer, initialized in
        guard batch * classes > 0 else { initialized = 0; return }
        softmax(logits.baseAddress!, into: buffer.baseAddress!, batch: batch, classes: classes)
        initialized = batch * classes
    }
}

/// Mean cross-entropy of softmax(logits) against integer labels, and its gradient.
///
/// - Parameters:
///   - logitsGradient: receives dL/dlogits = (softmax − onehot) / batch, or nil.
///   - labelSmoothing: ε spreads ε/classes of the target mass over every class.
/// - Returns: the mean loss and the number of rows whose argmax equals the label.
@discardableResult
public func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<UInt8>, batch: Int, classes: Int,
                                logitsGradient: UnsafeMutablePointer<Float>?, labelSmoothing: Float = 0)
    -> (loss: Float, correct: Int) {
    var loss: Double = 0
    var correct = 0
    let off = labelSmoothing / Float(classes), on = 1 - labelSmoothing + off
    for b in 0..<batch {
        let z = logits + b * classes
        var largest = z[0], best = 0
        for j in 1..<classes where z[j] > largest {
            largest = z[j]
            best = j
        }
        var total: Float = 0
        for j in 0..<classes { total += expf(z[j] - largest) }
        let logTotal = logf(total)
        let label = Int(labels[b])
        if best == label { correct += 1 }
        var rowLoss: Float = 0
        for j in 0..<classes {
            let target = labelSmoothing > 0 ? (j == label ? on : off) : (j == label ? 1 : 0)
            if target > 0 { rowLoss -= target * (z[j] - largest - logTotal) }
            if let logitsGradient {
                logitsGradient[b * classes + j] = (expf(z[j] - largest) / total - target) / Float(batch)
            }
        }
        loss += Double(rowLoss)
    }
    return (Float(loss / Double(batch)), correct)
}

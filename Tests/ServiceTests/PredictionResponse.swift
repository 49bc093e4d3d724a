import TestSupport
import Foundation

/// One prediction of a `/predict` answer, parsed from its JSON (the contract's shape plus the
/// optional `top` and `input` fields).
struct Prediction {
    var digit: Int
    var confidence: Float
    var probabilities: [Float]
    /// `?top=k`: the k most probable digits, most probable first.
    var top: [(digit: Int, probability: Float)]?
    /// `?include_input=true`: the 784 bytes the network saw.
    var input: [Int]?

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(_ object: [String: Any]) throws {
        guard let digit = object["digit"] as? Int,
              let confidence = (object["confidence"] as? NSNumber)?.floatValue,
              let probabilities = object["probabilities"] as? [NSNumber] else {
            throw Malformed(description: "a prediction needs digit, confidence and probabilities: \(object)")
        }
        self.digit = digit
        self.confidence = confidence
        self.probabilities = probabilities.map(\.floatValue)
        if let top = object["top"] {
            guard let entries = top as? [[String: Any]] else { throw Malformed(description: "top is not a list of objects") }
            self.top = try entries.map { entry in
                guard let digit = entry["digit"] as? Int, let probability = (entry["probability"] as? NSNumber)?.floatValue else {
                    throw Malformed(description: "a top entry needs digit and probability: \(entry)")
                }
                return (digit, probability)
            }
        }
        if let input = object["input"] {
            guard let values = input as? [Int] else { throw Malformed(description: "input is not a list of integers") }
            self.input = values
        }
    }
}

extension RawHTTPResponse {
    /// A single-image answer: `{"digit", "confidence", "probabilities", "model"}`.
    func prediction() throws -> (prediction: Prediction, model: String) {
        let object = try jsonObject()
        guard let model = object["model"] as? String else {
            throw Prediction.Malformed(description: "no model id in \(text.prefix(300))")
        }
        return (try Prediction(object), model)
    }

    /// A batch answer: `{"predictions": [...], "model"}`.
    func predictions() throws -> (predictions: [Prediction], model: String) {
        let object = try jsonObject()
        guard let model = object["model"] as? String, let list = object["predictions"] as? [[String: Any]] else {
            throw Prediction.Malformed(description: "not a batch answer: \(text.prefix(300))")
        }
        return (try list.map(Prediction.init), model)
    }
}

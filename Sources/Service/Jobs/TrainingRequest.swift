#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TensorCore
import Training

/// A `POST /train` body, checked field by field and resolved against the service's defaults.
///
/// Every field is optional; `null` means "the default". The defaults (`serviceDefaults`) are
/// chosen so a job finishes in a few minutes on two cores while still giving a model worth
/// activating: the Keras example network (2.4 M multiply-adds per image, about 99 % after
/// three epochs), three epochs, no augmentation. `threads` is not a request field: the service
/// decides how much of the machine training may take (`--training-threads`).
public struct TrainingRequest: Sendable {
    /// The resolved parameters (`params` of the job).
    public var configuration: TrainingConfiguration
    public var activate: ActivationPolicy
    /// The body as given (`request` of the job).
    public var raw: JSONDocument

    public init(configuration: TrainingConfiguration, activate: ActivationPolicy, raw: JSONDocument) {
        self.configuration = configuration
        self.activate = activate
        self.raw = raw
    }

    /// What a job trains with when the request leaves a field out.
    public static var serviceDefaults: TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.architecture = .kerasExample
        configuration.epochs = 3
        configuration.batchSize = 128
        configuration.learningRate = 0.003
        configuration.optimizer = .adamw
        configuration.schedule = .oneCycle
        configuration.augment = false
        configuration.validationSplit = 0.1
        configuration.limit = nil
        configuration.maxRuntimeSeconds = nil
        return configuration
    }

    public static let defaultActivationPolicy = ActivationPolicy.ifBetter

    /// The fields a request may set.
    public static let fields: [String] = [
        "activate", "architecture", "augment", "batch_size", "epochs", "initialization", "label_smoothing",
        "learning_rate", "limit", "max_runtime_seconds", "optimizer", "schedule", "seed", "validation_split",
        "weight_decay",
    ]

    /// Parses and checks a body.
    ///
    /// - Parameters:
    ///   - body: the request body; empty means `{}` (all defaults).
    ///   - defaults: the configuration for fields left out (`serviceDefaults` in the service).
    ///   - threads: the training threads the service allows (overrides `defaults.threads`).
    /// - Throws: `TrainingRequestError`: `.malformed`, `.unknownField` and `.wrongType` are
    ///   400 (syntax), `.invalidValue` is 422 (well-formed but unusable), each naming the field.
    public static func parse(body: [UInt8], defaults: TrainingConfiguration = serviceDefaults,
                             threads: Int) throws -> TrainingRequest {
        let document: JSONDocument
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            document = .object([:])
        } else {
            do {
                document = try JSONDecoder().decode(JSONDocument.self, from: Data(body))
            } catch {
                throw TrainingRequestError.malformed("the body is not valid JSON")
            }
        }
        guard case .object(let members) = document else {
            throw TrainingRequestError.malformed("the body must be a JSON object of training parameters, not \(document.kind)")
        }
        if let unknown = members.keys.sorted().first(where: { !fields.contains($0) }) {
            throw TrainingRequestError.unknownField(unknown)
        }
        var configuration = defaults
        configuration.threads = threads
        var activate = defaultActivationPolicy
        let fieldReader = FieldReader(members: members)

        if let value = try fieldReader.integer("epochs") { configuration.epochs = value }
        if let value = try fieldReader.integer("batch_size") { configuration.batchSize = value }
        if let value = try fieldReader.number("learning_rate") { configuration.learningRate = Float(value) }
        if let value = try fieldReader.choice("optimizer", OptimizerKind.self) { configuration.optimizer = value }
        if let value = try fieldReader.choice("schedule", LearningRateSchedule.self) { configuration.schedule = value }
        if let value = try fieldReader.number("weight_decay") { configuration.weightDecay = Float(value) }
        if let value = try fieldReader.seed("seed") { configuration.seed = value }
        if let value = try fieldReader.bool("augment") { configuration.augment = value }
        if let value = try fieldReader.architecture("architecture") { configuration.architecture = value }
        if let value = try fieldReader.number("validation_split") { configuration.validationSplit = value }
        if let value = try fieldReader.integer("limit") { configuration.limit = value }
        if let value = try fieldReader.number("max_runtime_seconds") { configuration.maxRuntimeSeconds = value }
        if let value = try fieldReader.number("label_smoothing") {
            // [0, 1) as the client wrote it: a double just under 1 must not round up to a
            // Float 1 and be refused as out of range (the largest Float below 1 stands for it).
            configuration.labelSmoothing = value < 1 ? min(Float(value), Float(1).nextDown) : Float(value)
        }
        if let value = try fieldReader.choice("initialization", WeightInitialization.self) { configuration.initialization = value }
        if let value = try fieldReader.choice("activate", ActivationPolicy.self) { activate = value }

        do {
            try configuration.validate()
        } catch TrainingError.invalidField(let field, let reason) {
            throw TrainingRequestError.invalidValue(field: field, reason: reason)
        }
        return TrainingRequest(configuration: configuration, activate: activate, raw: document)
    }
}

/// Reads typed fields out of the body's members; a wrong JSON type is a 400, a value of the
/// right type that is out of range or unknown is a 422.
private struct FieldReader {
    let members: [String: JSONDocument]

    private func value(_ field: String) -> JSONDocument? {
        guard let value = members[field], value != .null else { return nil }
        return value
    }

    func integer(_ field: String) throws -> Int? {
        guard let value = value(field) else { return nil }
        switch value {
        case .integer(let integer):
            guard let fits = Int(exactly: integer) else { throw TrainingRequestError.invalidValue(field: field, reason: "is too large") }
            return fits
        case .unsignedInteger:
            throw TrainingRequestError.invalidValue(field: field, reason: "is too large")
        case .number(let number) where number.rounded() == number:
            guard let fits = Int(exactly: number) else { throw TrainingRequestError.invalidValue(field: field, reason: "is too large") }
            return fits
        default:
            throw TrainingRequestError.wrongType(field: field, expected: "an integer", found: value.kind)
        }
    }

    func seed(_ field: String) throws -> UInt64? {
        guard let value = value(field) else { return nil }
        switch value {
        case .integer(let integer):
            guard integer >= 0 else { throw TrainingRequestError.invalidValue(field: field, reason: "must not be negative") }
            return UInt64(integer)
        case .unsignedInteger(let integer):
            return integer
        case .number(let number) where number.rounded() == number:
            guard let fits = UInt64(exactly: number) else {
                throw TrainingRequestError.invalidValue(field: field, reason: "must be an integer in 0...\(UInt64.max)")
            }
            return fits
        default:
            throw TrainingRequestError.wrongType(field: field, expected: "an integer", found: value.kind)
        }
    }

    func number(_ field: String) throws -> Double? {
        guard let value = value(field) else { return nil }
        switch value {
        case .integer(let integer): return Double(integer)
        case .unsignedInteger(let integer): return Double(integer)
        case .number(let number): return number
        default: throw TrainingRequestError.wrongType(field: field, expected: "a number", found: value.kind)
        }
    }

    func bool(_ field: String) throws -> Bool? {
        guard let value = value(field) else { return nil }
        guard case .bool(let flag) = value else {
            throw TrainingRequestError.wrongType(field: field, expected: "a boolean", found: value.kind)
        }
        return flag
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ field: String, _ type: Choice.Type) throws -> Choice?
    where Choice.RawValue == String {
        guard let value = value(field) else { return nil }
        guard case .string(let text) = value else {
            throw TrainingRequestError.wrongType(field: field, expected: "a string", found: value.kind)
        }
        guard let choice = Choice(rawValue: text) else {
            let known = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw TrainingRequestError.invalidValue(field: field, reason: "'\(text)' is not one of \(known)")
        }
        return choice
    }

    /// A name (`keras-example`) or a layer list (bare, or `{"input": ..., "layers": [...]}`).
    func architecture(_ field: String) throws -> Architecture? {
        guard let value = value(field) else { return nil }
        switch value {
        case .string(let name):
            guard let architecture = Architecture.named[name] else {
                let known = Architecture.named.keys.sorted().joined(separator: ", ")
                throw TrainingRequestError.invalidValue(field: field, reason: "unknown architecture '\(name)' (known: \(known))")
            }
            return architecture
        case .array, .object:
            do {
                return try JSONDecoder().decode(Architecture.self, from: JSONEncoder().encode(value))
            } catch let error as DecodingError {
                throw TrainingRequestError.invalidValue(field: field, reason: "not a usable layer list: \(Self.describe(error))")
            } catch {
                throw TrainingRequestError.invalidValue(field: field, reason: "not a usable layer list")
            }
        default:
            throw TrainingRequestError.wrongType(field: field, expected: "a name or a layer list", found: value.kind)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.debugDescription
        case .keyNotFound(let key, _):
            return "a layer is missing '\(key.stringValue)'"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Why a `POST /train` body was refused; `status` is the HTTP status it maps to.
public enum TrainingRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not JSON, or not an object (400).
    case malformed(String)
    /// A field the request does not know (400).
    case unknownField(String)
    /// A field of the wrong JSON type (400).
    case wrongType(field: String, expected: String, found: String)
    /// A field of the right type whose value cannot be used (422).
    case invalidValue(field: String, reason: String)

    public var status: Int {
        switch self {
        case .malformed, .unknownField, .wrongType: return 400
        case .invalidValue: return 422
        }
    }

    /// The field at fault, if one is.
    public var field: String? {
        switch self {
        case .malformed: return nil
        case .unknownField(let field), .wrongType(let field, _, _), .invalidValue(let field, _): return field
        }
    }

    public var description: String {
        switch self {
        case .malformed(let detail): return detail
        case .unknownField(let field):
            return "unknown field '\(field)'; known fields: \(TrainingRequest.fields.joined(separator: ", "))"
        case let .wrongType(field, expected, found): return "\(field) must be \(expected), not \(found)"
        case let .invalidValue(field, reason): return "\(field): \(reason)"
        }
    }
}

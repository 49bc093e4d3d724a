/// A safetensors file in memory: named tensors in a fixed order plus string metadata.
///
/// Order matters to people reading the file (PyTorch's `state_dict` order: `0.weight`,
/// `0.bias`, `3.weight`, ...), so the tensors are kept in insertion order and written in it;
/// a decoded file keeps the order of its header.
public struct SafeTensorsFile: Equatable, Sendable {
    /// Tensor names in writing order.
    public private(set) var names: [String] = []
    /// The tensors by name.
    public private(set) var tensors: [String: SafeTensors.Tensor] = [:]
    /// The `__metadata__` entries.
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Builds a file from `(name, tensor)` pairs in order.
    ///
    /// - Precondition: names are unique and none is `__metadata__`.
    public init(_ tensors: [(String, SafeTensors.Tensor)], metadata: [String: String] = [:]) {
        self.init(metadata: metadata)
        for (name, tensor) in tensors { self[name] = tensor }
    }

    /// The tensor called `name`. Setting a new name appends it at the end of the order,
    /// setting an existing one replaces it in place, setting `nil` removes it.
    ///
    /// - Precondition: `name` is not `__metadata__`, which the format reserves.
    public subscript(name: String) -> SafeTensors.Tensor? {
        get { tensors[name] }
        set {
            precondition(name != SafeTensors.metadataKey, "\(SafeTensors.metadataKey) is reserved for metadata")
            switch (tensors[name] != nil, newValue) {
            case (false, let tensor?):
                names.append(name)
                tensors[name] = tensor
            case (true, let tensor?):
                tensors[name] = tensor
            case (true, nil):
                names.removeAll { $0 == name }
                tensors[name] = nil
            case (false, nil):
                break
            }
        }
    }
}

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor (`dtype`, `shape`,
/// `data_offsets` relative to the data buffer) plus optional string `__metadata__`, then the
/// raw little-endian tensor bytes. PyTorch, NumPy and the Rust crate all read it, which is why
/// the model file uses it.
public enum SafeTensors {
    /// The reserved header key for free-form string metadata.
    public static let metadataKey = "__metadata__"
    /// The largest header accepted, the same 100 MB limit as the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// Element types, spelled as in the header. Sizes are in bytes.
    public enum DType: String, CaseIterable, Sendable {
        case BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3: return 1
            case .I16, .U16, .F16, .BF16: return 2
            case .I32, .U32, .F32: return 4
            case .F64, .I64, .U64: return 8
            }
        }
    }
}

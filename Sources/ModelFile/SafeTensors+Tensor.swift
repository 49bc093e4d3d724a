extension SafeTensors {
    /// One tensor: its element type, shape and raw little-endian bytes, row-major.
    public struct Tensor: Equatable, Sendable {
        public let dtype: DType
        /// Sizes, outermost first; `[]` is a scalar (one element), any 0 makes it empty.
        public let shape: [Int]
        /// `elementCount * dtype.size` bytes.
        public let data: [UInt8]

        /// Wraps raw bytes.
        ///
        /// - Precondition: sizes are non-negative and `data.count == product(shape) * dtype.size`.
        public init(dtype: DType, shape: [Int], data: [UInt8]) {
            precondition(shape.allSatisfy { $0 >= 0 }, "SafeTensors.Tensor: negative size in shape \(shape)")
            precondition(Self.byteCount(dtype: dtype, shape: shape) == data.count,
                         "SafeTensors.Tensor: \(data.count) bytes do not fit \(dtype.rawValue) \(shape)")
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        /// An `F32` tensor from floats, stored little-endian.
        ///
        /// - Precondition: `floats.count == product(shape)`.
        public init(shape: [Int], floats: [Float]) {
            var bytes = [UInt8](repeating: 0, count: floats.count * 4)
            bytes.withUnsafeMutableBytes { raw in
                for (index, value) in floats.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                }
            }
            self.init(dtype: .F32, shape: shape, data: bytes)
        }

        /// The number of elements: the product of `shape` (1 for a scalar).
        public var elementCount: Int { shape.reduce(1, *) }

        /// The values of an `F32` tensor.
        ///
        /// - Throws: `SafeTensorsError.wrongDType` for any other dtype.
        public var floats: [Float] {
            get throws {
                guard dtype == .F32 else { throw SafeTensorsError.wrongDType(expected: .F32, found: dtype) }
                return data.withUnsafeBytes { raw in
                    (0..<data.count / 4).map { index in
                        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                    }
                }
            }
        }

        /// `product(shape) * dtype.size`, or `nil` if that overflows `Int`.
        static func byteCount(dtype: DType, shape: [Int]) -> Int? {
            var total = dtype.size
            for size in shape {
                let (product, overflow) = total.multipliedReportingOverflow(by: size)
                if overflow { return nil }
                total = product
            }
            return total
        }
    }
}

/// A 64-byte aligned heap buffer of `T` that frees itself. Hot loops take its pointer; nothing
/// in them allocates or counts references.
public final class Buffer<T> {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    /// `count` elements, zero-filled (for the numeric types this buffer holds).
    public init(count: Int) {
        self.count = count
        let bytes = max(1, count) * MemoryLayout<T>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<T> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Sets every byte to zero.
    public func zero() {
        UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0,
                                                          count: count * MemoryLayout<T>.stride)
    }
}

public typealias FloatBuffer = Buffer<Float>

extension Buffer where T == Float {
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    public var array: [Float] { Array(buffer) }
}

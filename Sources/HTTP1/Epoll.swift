#if canImport(Glibc)
import Glibc
#endif

/// epoll(7), eventfd(2) and accept4(2), which the Glibc module does not export.
///
/// HTTP1 may depend only on Foundation, Dispatch, Glibc and Logging (no C shim target), so the
/// functions are looked up with `dlsym` and called through `@convention(c)` pointers: the C
/// calling convention is then exact, unlike `@_silgen_name` declarations. Constants come from
/// <sys/epoll.h> and <sys/eventfd.h>; they are part of the Linux ABI and never change.
enum Epoll {
    static let input: UInt32 = 0x001
    static let output: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    /// Wake only one of the epoll instances waiting on a shared listener (Linux 4.5).
    static let exclusive: UInt32 = 1 << 28

    private static let controlAdd: Int32 = 1
    private static let controlDelete: Int32 = 2
    private static let controlModify: Int32 = 3
    private static let closeOnExec: Int32 = 0o2000000
    private static let nonBlocking: Int32 = 0o4000

    /// `struct epoll_event` is packed on x86_64 (12 bytes) and naturally aligned elsewhere.
    #if arch(x86_64)
    static let eventStride = 12
    private static let dataOffset = 4
    #else
    static let eventStride = 16
    private static let dataOffset = 8
    #endif

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias EventFDFunction = @convention(c) (UInt32, Int32) -> Int32
    private typealias Accept4Function = @convention(c) (Int32, UnsafeMutableRawPointer?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function {
        guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("\(name) is missing from the C library; HTTP1 needs Linux epoll")
        }
        return unsafeBitCast(pointer, to: type)
    }

    private static let createFunction = symbol("epoll_create1", as: CreateFunction.self)
    private static let controlFunction = symbol("epoll_ctl", as: ControlFunction.self)
    private static let waitFunction = symbol("epoll_wait", as: WaitFunction.self)
    private static let eventFDFunction = symbol("eventfd", as: EventFDFunction.self)
    private static let accept4Function = symbol("accept4", as: Accept4Function.self)

    /// Accepts a connection that is already non-blocking and close-on-exec (one syscall
    /// instead of accept + two fcntl).
    static func accept(_ listenFD: Int32, address: UnsafeMutableRawPointer, length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        accept4Function(listenFD, address, length, nonBlocking | closeOnExec)
    }

    static func create() -> Int32 {
        createFunction(closeOnExec)
    }

    /// A non-blocking eventfd used to wake a loop from another thread.
    static func makeEventFD() -> Int32 {
        eventFDFunction(0, nonBlocking | closeOnExec)
    }

    static func add(_ epollFD: Int32, _ fd: Int32, events: UInt32, token: UInt64) -> Int32 {
        control(epollFD, controlAdd, fd, events: events, token: token)
    }

    static func modify(_ epollFD: Int32, _ fd: Int32, events: UInt32, token: UInt64) -> Int32 {
        control(epollFD, controlModify, fd, events: events, token: token)
    }

    static func delete(_ epollFD: Int32, _ fd: Int32) -> Int32 {
        controlFunction(epollFD, controlDelete, fd, nil)
    }

    private static func control(_ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, token: UInt64) -> Int32 {
        var event: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &event) { bytes in
            bytes.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: token, toByteOffset: dataOffset, as: UInt64.self)
            return controlFunction(epollFD, operation, fd, bytes.baseAddress)
        }
    }

    /// Waits for events into `buffer` (room for `capacity` events of `eventStride` bytes).
    static func wait(_ epollFD: Int32, into buffer: UnsafeMutableRawPointer, capacity: Int32, timeoutMilliseconds: Int32) -> Int32 {
        waitFunction(epollFD, buffer, capacity, timeoutMilliseconds)
    }

    /// The events and token of the `index`th event in a `wait` buffer.
    @inline(__always)
    static func event(in buffer: UnsafeMutableRawPointer, at index: Int) -> (events: UInt32, token: UInt64) {
        let base = buffer + index * eventStride
        return (base.loadUnaligned(as: UInt32.self), (base + dataOffset).loadUnaligned(as: UInt64.self))
    }
}

import Glibc

/// A KServe v2 infer request of 8 images of 784 pixels: FP32 values as a client prints its
/// Float32 pixels (`0.23529412`), or UINT8 integers; the same pseudo-random image each run.
func kserveBody(floats: Bool) -> [UInt8] {
    var state: UInt64 = 42
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    var text = #"{"inputs":[{"name":"image","datatype":"\#(floats ? "FP32" : "UINT8")","shape":[8,28,28],"data":["#
    for index in 0..<(8 * 784) {
        if index > 0 { text += "," }
        let byte = next() % 256
        text += floats ? "\(Float(byte) / 255)" : "\(byte)"
    }
    text += "]}]}"
    return Array(text.utf8)
}

func medianMicroseconds(_ seconds: [Double]) -> Double { seconds.sorted()[seconds.count / 2] * 1e6 }

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

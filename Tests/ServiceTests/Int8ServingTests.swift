import Foundation
import ModelFile
import Service
import TensorCore
import Testing
import TestSupport

/// `serve --precision`: what serves, what the probes and metrics say, over the real socket.
struct Int8ServingTests {
    /// int8 serves real digits: the right digits, probabilities close to the fp32 network's,
    /// and /readyz and /metrics name the precision and kernel.
    @Test(.enabled(if: TestData.runsMNISTTests, "MNIST_DIR is not set"))
    func int8ServesRealDigitsAndSaysSo() throws {
        let service = try ServiceHarness(configure: { $0.precision = .int8 })
        defer { service.stop() }
        let model = try #require(service.app.slot.current)
        let quantized = try #require(model.quantized)
        #expect(quantized.instructionSet == .best)

        let ready = try service.get("/readyz").jsonObject()
        #expect(ready["precision"] as? String == "int8")
        let metrics = try service.get("/metrics").text
        #expect(metrics.contains("mnist_inference_precision_info{precision=\"int8\",kernel=\"\(Int8InstructionSet.best.rawValue)\"} 1"))

        for digit in try TestDigits.oneOfEachClass() {
            let response = try service.post(contentType: "application/octet-stream", body: digit.pixels)
            #expect(response.status == 200)
            let body = try response.jsonObject()
            #expect(body["digit"] as? Int == digit.label, "\(digit)")
            let served = try #require(body["probabilities"] as? [Double])
            let fp32 = model.network.predict(digit.pixels.map { Float($0) / 255 }, batch: 1)
            let gap = zip(served, fp32).map { abs($0 - Double($1)) }.max()!
            #expect(gap < 0.05, "\(digit): int8 and fp32 probabilities differ by \(gap)")
        }
    }

    /// The default is fp32, and says so.
    @Test func fp32IsTheDefault() throws {
        let service = try ServiceHarness()
        defer { service.stop() }
        #expect(service.app.slot.current?.quantized == nil)
        #expect(try service.get("/readyz").jsonObject()["precision"] as? String == "fp32")
        #expect(try service.get("/metrics").text.contains("mnist_inference_precision_info{precision=\"fp32\",kernel=\"fp32\"} 1"))
    }

    /// auto: int8 exactly where the model has calibration and the CPU has VNNI.
    @Test func autoFollowsTheCPU() throws {
        let service = try ServiceHarness(configure: { $0.precision = .auto })
        defer { service.stop() }
        let model = try #require(service.app.slot.current)
        #expect((model.precision == .int8) == Int8InstructionSet.avx512vnni.isSupported)
    }

    /// int8 with a model that has no calibration does not start (rather than serve fp32 unasked);
    /// auto serves it in fp32.
    @Test func int8NeedsACalibratedModel() throws {
        let directory = try TemporaryDirectory(prefix: "mnist-cnn-int8-test")
        defer { directory.remove() }
        var file = try SafeTensorsFile.read(path: try TestModel.requirePath())
        file.metadata[Int8Calibration.metadataKey] = nil
        let uncalibrated = try directory.write(file.encode(), to: "uncalibrated.safetensors")
        #expect(throws: (any Error).self) {
            let service = try ServiceHarness(configure: { $0.modelPath = uncalibrated; $0.precision = .int8 })
            service.stop()
        }
        let service = try ServiceHarness(configure: { $0.modelPath = uncalibrated; $0.precision = .auto })
        defer { service.stop() }
        #expect(service.app.slot.current?.precision == .fp32)
    }
}

// swift-tools-version:6.0
import PackageDescription

// MARK: - Kernel targets
//
// The kernel source (Sources/Kernels/Kernels.swift: GEMM, Winograd, pooling, dot products)
// is symlinked into one target per instruction set, each compiled with its own -target-cpu. All of them link into the one
// binary and TensorCore picks one at start from CPUID (see KernelDispatch.swift), so the same
// release binary runs on any x86_64 (v2 and up) and still uses AVX-512 where the CPU has it.
// `-Ounchecked` applies even to debug builds: the kernels are hot loops over unsafe buffers,
// and keeping them optimized keeps `swift test` fast.
let kernelBase: [String] = ["-Ounchecked"]

#if arch(x86_64)
let kernelTargets: [Target] = [
    .target(
        name: "KernelsAVX512", dependencies: ["KernelInterface"], path: "Sources/KernelsAVX512",
        swiftSettings: [.define("KERNEL_AVX512"), .define("KERNEL_FMA"),
                        .unsafeFlags(kernelBase + ["-target-cpu", "skylake-avx512"])]),
    .target(
        name: "KernelsAVX2", dependencies: ["KernelInterface"], path: "Sources/KernelsAVX2",
        swiftSettings: [.define("KERNEL_AVX2"), .define("KERNEL_FMA"),
                        .unsafeFlags(kernelBase + ["-target-cpu", "haswell"])]),
    // Baseline x86-64 has no FMA: `addProduct` would become a libm call per lane (160x slower),
    // so this build multiplies and adds unfused.
    .target(
        name: "KernelsBaseline", dependencies: ["KernelInterface"], path: "Sources/KernelsBaseline",
        swiftSettings: [.define("KERNEL_SSE"), .unsafeFlags(kernelBase)]),
]
let kernelDependencies: [Target.Dependency] = ["KernelInterface", "KernelsAVX512", "KernelsAVX2", "KernelsBaseline"]
#else
// aarch64 (and anything else): NEON always has FMA.
let kernelTargets: [Target] = [
    .target(
        name: "KernelsBaseline", dependencies: ["KernelInterface"], path: "Sources/KernelsBaseline",
        swiftSettings: [.define("KERNEL_NEON"), .define("KERNEL_FMA"), .unsafeFlags(kernelBase)]),
]
let kernelDependencies: [Target.Dependency] = ["KernelInterface", "KernelsBaseline"]
#endif

// Linux only (x86_64, aarch64): no `platforms:` claim, because nothing here is built or
// tested on macOS. Platform's Darwin branches keep its POSIX code portable, not supported.
let package = Package(
    name: "mnist-cnn",
    products: [
        .executable(name: "mnist-cnn", targets: ["mnist-cnn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: kernelTargets + [
        // MARK: - System and C shims
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CPUFeatures", path: "Sources/CPUFeatures"),
        // epoll, eventfd, accept4, a signal handler that runs in signal context, and the
        // open-file limit: what Swift cannot reach cleanly through the C library's module.
        .target(name: "CPlatform", path: "Sources/CPlatform"),
        // int8 GEMM (AVX-512 VNNI, AVX2, reference) chosen at run time; no FMA contraction so
        // every instruction set's float epilogue gives the same bytes.
        .target(name: "Int8Kernels", path: "Sources/Int8Kernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // libjpeg-turbo (Debian's libjpeg62-turbo-dev) and the C shim that owns its error
        // handling: setjmp/longjmp stay inside C, and libjpeg never exit()s the process.
        .systemLibrary(name: "CLibJPEG", path: "Sources/CLibJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "JPEGShim", dependencies: ["CLibJPEG"], path: "Sources/JPEGShim",
                linkerSettings: [.linkedLibrary("jpeg")]),
        // The protocol every kernel module's `Kernel` conforms to (declarations only).
        .target(name: "KernelInterface"),

        // MARK: - Library modules (dependencies point one way: down this list)
        // The system edge: file access with injectable faults, atomic replacement, the clock;
        // sockets, pollers (epoll and poll(2)), signals, the descriptor limit, CPU and cgroup discovery.
        .target(name: "Platform", dependencies: ["CPlatform"]),
        // JSON values, the strict parser and the one string escaper every JSON writer uses.
        .target(name: "JSON"),
        .target(name: "Zlib", dependencies: ["CZlib"]),
        // Optimized in debug builds too, so `swift test` runs real training and the full test
        // set in seconds. Plain -O in both: its preconditions (shapes, counts, thread counts) hold
        // in release builds too; only the kernel targets above are -Ounchecked.
        .target(name: "TensorCore", dependencies: kernelDependencies + ["CPUFeatures", "Int8Kernels"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "MNISTData", dependencies: ["Zlib", "TensorCore", "Platform"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "ModelFile", dependencies: ["TensorCore", "Platform", "JSON"]),
        .target(name: "Training", dependencies: ["TensorCore", "MNISTData", "ModelFile", "Platform"]),
        .target(name: "Imaging", dependencies: ["Zlib", "JPEGShim"]),
        .target(name: "HTTP1", dependencies: ["Platform", "JSON", .product(name: "Logging", package: "swift-log")]),
        // `mnist-cnn data download`: a plain HTTP GET, SHA-256, and the MNIST mirrors.
        .target(name: "MNISTDownload", dependencies: ["Platform"]),
        .target(name: "Service", dependencies: [
            "TensorCore", "MNISTData", "ModelFile", "Training", "Imaging", "HTTP1", "Platform", "JSON",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], resources: [
            .embedInCode("openapi.yaml"),
            .embedInCode("Web/index.html"), .embedInCode("Web/style.css"), .embedInCode("Web/app.js"),
            .embedInCode("Web/api.js"), .embedInCode("Web/draw.js"), .embedInCode("Web/charts.js"),
            .embedInCode("Web/train.js"),
        ]),

        // MARK: - The executable
        .executableTarget(name: "mnist-cnn", dependencies: [
            "TensorCore", "MNISTData", "ModelFile", "Training", "Imaging", "Service", "MNISTDownload", "JSON", "HTTP1", "Platform",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["MNISTData", "Imaging", "Zlib"], path: "Tests/TestSupport"),
        // The OpenAPI conformance check's parts: the YAML subset reader, the JSON Schema validator,
        // the spec model and an in-process server; OpenAPIConformanceTests keeps only the tests.
        .target(name: "OpenAPITestSupport", dependencies: [
            "Service", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/OpenAPITestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport", "Int8Kernels"]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "TestSupport"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "Zlib", "Platform", "TestSupport"]),
        .testTarget(name: "ModelFileTests", dependencies: ["ModelFile", "TensorCore", "Platform", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "MNISTData", "ModelFile", "TensorCore", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Zlib", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MNISTDownloadTests", dependencies: ["MNISTDownload", "MNISTData", "TestSupport"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "Platform", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "ServiceTests", dependencies: [
            "Service", "HTTP1", "Imaging", "Training", "TensorCore", "MNISTData", "ModelFile", "Platform", "TestSupport",
            "OpenAPITestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

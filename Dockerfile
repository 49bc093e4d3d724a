# mnist-cnn: the HTTP inference service in a slim, non-root container.
#
#   docker build -t mnist-cnn .
#   docker run --rm -p 8080:8080 -v mnist-cnn-state:/var/lib/mnist-cnn mnist-cnn
#
# Two stages: the official Swift image builds a release binary with the Swift runtime and
# FoundationEssentials linked in statically (--static-swift-stdlib), so the runtime stage needs no Swift
# toolchain, only what `ldd` shows the binary loading from the system: glibc, libstdc++/libgcc
# (both already in debian:bookworm-slim, apt needs them), zlib and libjpeg-turbo. No Docker engine runs on the
# project's machines; scripts/rootfs-smoke.sh builds the binary with the same command and runs
# it in a debootstrap'ed bookworm root with the same packages, user and paths as below.

# ---- build -------------------------------------------------------------------------------
# `swift:<version>-<debian codename>` is the official image's tag scheme. 6.3.1 is the
# toolchain the project is developed and tested with (`swift --version`); bookworm (Debian 12,
# glibc 2.36) is the same release as the runtime stage, so the binary never needs a newer glibc
# than the one it runs on. Pin the digest (swift:6.3.1-bookworm@sha256:...) for bit-for-bit
# reproducible builds.
FROM swift:6.3.1-bookworm AS build

# zlib1g-dev: headers and libz.so for the CZlib system-library target (linked as -lz).
# libjpeg62-turbo-dev: headers and libjpeg.so (libjpeg-turbo) for CLibJPEG and JPEGShim.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends zlib1g-dev libjpeg62-turbo-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first: this layer is rebuilt only when the manifest or the pinned versions change,
# not on every source edit. Package.resolved is optional (the wildcard lets the COPY succeed
# without it); with it, the build uses exactly the versions the repository was tested with.
COPY Package.swift Package.resolved* ./
RUN swift package resolve

# Sources/Service/openapi.yaml is a symlink to the top-level openapi.yaml (embedded in the
# binary at build time, like the web page), and the manifest declares the test targets, whose
# directories must exist for the package to load even though only the executable is built.
COPY openapi.yaml ./
COPY Sources ./Sources
COPY Tests ./Tests

# Release build with the Swift runtime and FoundationEssentials linked in statically. No module
# imports full Foundation, so ICU's data is not in the binary (37 MB instead of 86 MB).
# The GEMM kernels are compiled once per instruction set and picked at start from CPUID, so this
# one binary runs on any x86-64-v2 or later CPU (and on arm64 when built there).
RUN swift build -c release --static-swift-stdlib --product mnist-cnn \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/mnist-cnn" \
        /staging/usr/local/bin/mnist-cnn \
    # The crash backtracer for statically linked binaries (SWIFT_BACKTRACE below): a crash
    # prints a symbolicated backtrace of every thread to stderr, next to the logs, instead of
    # a bare "Illegal instruction". It symbolicates from the binary's symbol table, which is
    # why the binary is not stripped.
    && install -D -m 0755 /usr/libexec/swift/linux/swift-backtrace-static \
        /staging/usr/local/libexec/swift-backtrace

# ---- runtime -----------------------------------------------------------------------------
FROM debian:bookworm-slim

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mnist-cnn" \
      org.opencontainers.image.description="HTTP inference service for a CNN that reads handwritten digits (MNIST): /predict, /train, /models, probes, Prometheus /metrics, OpenAPI 3.1." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# Only what the binary loads (zlib, libjpeg-turbo) and CA certificates; no recommends, no
# package lists left.
# No curl: HEALTHCHECK runs the binary's own `healthcheck` command.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends zlib1g libjpeg62-turbo ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# A fixed, numeric, unprivileged identity: Kubernetes' runAsNonRoot can verify a numeric USER,
# and volumes can be prepared for 10001:10001 ahead of time.
RUN groupadd --gid 10001 mnist-cnn \
    && useradd --uid 10001 --gid 10001 --no-create-home --no-log-init --home-dir /nonexistent \
        --shell /usr/sbin/nologin mnist-cnn \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/mnist-cnn

# The shipped model, owned by root and read-only for the service: trained models go to the
# state directory, never next to the shipped one.
COPY models/mnist-cnn.safetensors /app/models/mnist-cnn.safetensors
COPY --from=build /staging/usr/local/ /usr/local/

WORKDIR /app

# Jobs, trained models and the active-model choice live here; a volume so they outlive the
# container. Training (POST /train) also needs MNIST_DIR pointing at a mounted MNIST directory;
# without it the service serves and reports training as unavailable.
VOLUME ["/var/lib/mnist-cnn"]

ENV MNIST_CNN_HOST=0.0.0.0 \
    MNIST_CNN_PORT=8080 \
    MNIST_CNN_MODEL=/app/models/mnist-cnn.safetensors \
    MNIST_CNN_STATE_DIR=/var/lib/mnist-cnn \
    MNIST_CNN_LOG_LEVEL=info \
    MNIST_CNN_LOG_FORMAT=json \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=mentioned,interactive=no,color=no,output-to=stderr,swift-backtrace=/usr/local/libexec/swift-backtrace

EXPOSE 8080

# Liveness through the binary itself (it reads MNIST_CNN_PORT, so it follows a changed port).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["mnist-cnn", "healthcheck", "--timeout", "3"]

# SIGTERM drains: /readyz turns 503 at once, in-flight requests finish, then exit 0. The
# service handles SIGTERM itself, which it must as PID 1 (the kernel drops unhandled signals
# sent to PID 1 of a namespace).
STOPSIGNAL SIGTERM
USER 10001:10001
ENTRYPOINT ["mnist-cnn"]
CMD ["serve"]

#!/usr/bin/env bash
# int8 against fp32 (ours) and against ONNX Runtime's fp32 and static int8 (QDQ, per-channel,
# 256 calibration images) on the shipped network, the two stacks back to back, three rounds
# (the machine is shared and noisy: compare within a round, quote medians and ratios).
#
#   swift build -c release --product mnist-cnn
#   scripts/bench-int8.sh [BINARY] [MODEL] [MNIST_DIR]
#
# Installs onnx, onnxruntime, numpy and safetensors into a venv ($INT8_BENCH_VENV, default
# /tmp/mnist-cnn-ort-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/mnist-cnn}
model=${2:-models/mnist-cnn.safetensors}
mnist=${3:-${MNIST_DIR:-../shared/data/mnist}}
venv=${INT8_BENCH_VENV:-/tmp/mnist-cnn-ort-venv}
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_FIGURE:-3}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q onnx onnxruntime numpy safetensors
fi

printf '%-6s %-30s %12s %12s %14s\n' round stack "1 image µs" "p99 µs" "batch img/s"
for round in $(seq 1 "$rounds"); do
  ours=$("$bin" bench --arch mnist-bn --precision int8 --seconds "$seconds" --json)
  ort=$("$venv/bin/python" scripts/bench-int8-onnxruntime.py "$model" "$mnist" --seconds "$seconds" --json 2>/dev/null)
  OURS="$ours" ORT="$ort" ROUND="$round" python3 - <<'PY'
import json, os
ours, ort, r = json.loads(os.environ["OURS"]), json.loads(os.environ["ORT"]), os.environ["ROUND"]
rows = [
    ("mnist-cnn fp32", ours["single_image_us_median"], ours["single_image_us_p99"], ours["batch_images_per_second"]),
    (f"mnist-cnn int8 ({ours['int8']['instruction_set']})", ours["int8"]["single_image_us_median"],
     ours["int8"]["single_image_us_p99"], ours["int8"]["batch_images_per_second"]),
    ("ORT fp32", ort["fp32"]["single_image_us_median"], ort["fp32"]["single_image_us_p99"], ort["fp32"]["batch_images_per_second"]),
    ("ORT int8", ort["int8"]["single_image_us_median"], ort["int8"]["single_image_us_p99"], ort["int8"]["batch_images_per_second"]),
]
for name, median, p99, rate in rows:
    print(f"{r:<6} {name:<30} {median:12.1f} {p99:12.1f} {rate:14.0f}")
i8, o8 = rows[1], rows[3]
print(f"{r:<6} ratios: int8 vs our fp32 {ours['int8']['single_image_speedup']:.2f}x single, {ours['int8']['batch_speedup']:.2f}x batched; "
      f"vs ORT int8 {o8[1] / i8[1]:.2f}x single, {i8[3] / o8[3]:.2f}x batched "
      f"(ORT int8 accuracy {ort['int8']['accuracy'] * 100:.2f} %, fp32 {ort['fp32']['accuracy'] * 100:.2f} %)")
PY
done

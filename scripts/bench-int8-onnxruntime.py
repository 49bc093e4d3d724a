#!/usr/bin/env python3
"""ONNX Runtime's fp32 and static int8 inference of a model file, measured the way
`mnist-cnn bench --precision int8` measures ours: single-image median and p99 on one thread,
batch-256 images/s on --threads threads, plus test-set accuracy of both.

The ONNX graph is built with onnx.helper straight from the safetensors tensors and the
architecture in the file's metadata (Conv, Relu, MaxPool, Flatten, Gemm; batch norms folded
into the layer before them, as our inference does). int8 is onnxruntime.quantization.quantize_static: QDQ
format, per-channel s8 weights, u8 activations, calibrated on the first 256 training images.

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install onnx onnxruntime numpy safetensors
    /tmp/ort/bin/python scripts/bench-int8-onnxruntime.py models/mnist-cnn.safetensors ../shared/data/mnist --json
"""
import argparse, gzip, json, os, struct, sys, tempfile, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_static)
from safetensors import safe_open
from safetensors.numpy import load_file


def read_idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(directory, split):
    prefix = "train" if split == "train" else "t10k"
    def find(kind):
        for name in (f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz", f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"):
            if os.path.exists(os.path.join(directory, name)):
                return os.path.join(directory, name)
        sys.exit(f"no {prefix} {kind} in {directory}")
    images = read_idx(find("images")).astype(np.float32).reshape(-1, 1, 28, 28) / 255
    return images, read_idx(find("labels"))


def build_graph(model_path):
    tensors = load_file(model_path)
    with safe_open(model_path, "np") as f:
        layers = json.loads(f.metadata()["architecture"])["layers"]
    nodes, inits, current = [], [], "input"
    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name
    # Fold each batch norm into the convolution or linear layer before it (what ONNX Runtime
    # does for fp32 itself, and what quantize_static needs to see one weight per layer).
    folded = set()
    for i, layer in enumerate(layers[:-1]):
        nxt = layers[i + 1]["type"]
        if layer["type"] in ("conv2d", "linear") and nxt.startswith("batchnorm"):
            j = i + 1
            scale = tensors[f"{j}.weight"] / np.sqrt(tensors[f"{j}.running_var"] + layers[j].get("eps", 1e-5))
            shift = tensors[f"{j}.bias"] - tensors[f"{j}.running_mean"] * scale
            w = tensors[f"{i}.weight"]
            tensors[f"{i}.weight"] = (w * scale.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32)
            tensors[f"{i}.bias"] = (tensors[f"{i}.bias"] * scale + shift).astype(np.float32)
            folded.add(j)
    for i, layer in enumerate(layers):
        t, out = layer["type"], f"t{i}"
        if i in folded:
            continue
        if t == "conv2d":
            k, s, p = layer["kernel_size"], layer.get("stride", 1), layer.get("padding", 0)
            nodes.append(helper.make_node("Conv", [current, init(f"{i}.weight", tensors[f"{i}.weight"]), init(f"{i}.bias", tensors[f"{i}.bias"])],
                                          [out], kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p]))
        elif t.startswith("batchnorm"):
            names = [init(f"{i}.{n}", tensors[f"{i}.{n}"]) for n in ("weight", "bias", "running_mean", "running_var")]
            nodes.append(helper.make_node("BatchNormalization", [current] + names, [out], epsilon=layer.get("eps", 1e-5)))
        elif t == "relu":
            nodes.append(helper.make_node("Relu", [current], [out]))
        elif t == "maxpool2d":
            k, s = layer["kernel_size"], layer.get("stride", layer["kernel_size"])
            nodes.append(helper.make_node("MaxPool", [current], [out], kernel_shape=[k, k], strides=[s, s]))
        elif t == "flatten":
            nodes.append(helper.make_node("Flatten", [current], [out], axis=1))
        elif t == "linear":
            nodes.append(helper.make_node("Gemm", [current, init(f"{i}.weight", tensors[f"{i}.weight"]), init(f"{i}.bias", tensors[f"{i}.bias"])],
                                          [out], transB=1))
        elif t == "dropout":
            continue
        else:
            sys.exit(f"layer {i}: {t} is not supported here")
        current = out
    graph = helper.make_graph(nodes, "mnist-cnn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


class Calibration(CalibrationDataReader):
    def __init__(self, images):
        self.batches = iter([{"input": images[i:i + 1]} for i in range(len(images))])
    def get_next(self):
        return next(self.batches, None)


def session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def sample(run, seconds):
    end = time.perf_counter() + min(0.2, seconds / 5)
    while time.perf_counter() < end:
        run()
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 10:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)


def measure(path, images, labels, threads, seconds, batch=256):
    single, batched = session(path, 1), session(path, threads)
    one, many = images[:1], images[:batch]
    single_times = sample(lambda: single.run(None, {"input": one}), seconds)
    batch_times = sample(lambda: batched.run(None, {"input": many}), seconds)
    predictions = np.concatenate([batched.run(None, {"input": images[i:i + 500]})[0].argmax(1) for i in range(0, len(images), 500)])
    return {
        "single_image_us_median": single_times[len(single_times) // 2] * 1e6,
        "single_image_us_p99": single_times[min(len(single_times) - 1, round((len(single_times) - 1) * 0.99))] * 1e6,
        "batch_images_per_second": batch / batch_times[len(batch_times) // 2],
        "accuracy": float((predictions == labels).mean()),
        "predictions": predictions,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("mnist_dir")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--calibration-images", type=int, default=256)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    train, _ = mnist(args.mnist_dir, "train")
    test, labels = mnist(args.mnist_dir, "test")
    with tempfile.TemporaryDirectory() as work:
        fp32_path, int8_path = os.path.join(work, "fp32.onnx"), os.path.join(work, "int8.onnx")
        onnx.save(build_graph(args.model), fp32_path)
        quantize_static(fp32_path, int8_path, Calibration(train[:args.calibration_images]), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        fp32 = measure(fp32_path, test, labels, args.threads, args.seconds)
        int8 = measure(int8_path, test, labels, args.threads, args.seconds)
    agreement = float((fp32.pop("predictions") == int8.pop("predictions")).mean())
    report = {"onnxruntime": ort.__version__, "threads": args.threads, "fp32": fp32, "int8": int8,
              "int8_fp32_agreement": agreement, "calibration_images": args.calibration_images}
    if args.json:
        print(json.dumps(report))
        return
    for name, figures in (("fp32", fp32), ("int8", int8)):
        print(f"ONNX Runtime {ort.__version__} {name}: single image {figures['single_image_us_median']:.1f} us median "
              f"({figures['single_image_us_p99']:.1f} p99), batch 256 {figures['batch_images_per_second']:.0f} images/s "
              f"on {args.threads} threads, test accuracy {figures['accuracy'] * 100:.2f} %")
    print(f"int8 agrees with fp32 on {agreement * 100:.2f} % of test images")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The Open Inference Protocol (KServe v2) as NVIDIA's own client sees it.

Runs `tritonclient.http` (PyPI: tritonclient[http]) against a live `mnist-cnn serve`:
server liveness and readiness, server and model metadata, model readiness, then the first
--count MNIST test images in batches, once with JSON tensors and once with the binary
tensor data extension (tritonclient's default), reading the digits back (at least
--min-accuracy right), and finally the same through a registered model named by version.

    python3 scripts/tritonclient-check.py --url 127.0.0.1:8080 --mnist-dir DIR [--version ID]

Exits 1 with the reason on the first failed check.
"""
import argparse
import gzip
import os
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

MODEL = "mnist-cnn"


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist_test(directory, count):
    def find(name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                return path
        sys.exit(f"tritonclient-check: no {name}[.gz] in {directory}")

    images = read_idx(find("t10k-images-idx3-ubyte"))[:count]
    labels = read_idx(find("t10k-labels-idx1-ubyte"))[:count]
    return images, labels


def check(condition, message):
    if not condition:
        sys.exit(f"tritonclient-check: FAILED: {message}")
    print(f"ok  {message}")


def classify(client, images, batch, binary, version=""):
    """Digits for all images, sent in batches; also the model_version each answer named."""
    digits, versions = [], set()
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        tensor = httpclient.InferInput("image", list(chunk.shape), "UINT8")
        tensor.set_data_from_numpy(chunk, binary_data=binary)
        outputs = [httpclient.InferRequestedOutput("probabilities", binary_data=binary),
                   httpclient.InferRequestedOutput("digit", binary_data=binary)]
        result = client.infer(MODEL, [tensor], model_version=version, outputs=outputs)
        probabilities = result.as_numpy("probabilities")
        digit = result.as_numpy("digit")
        if probabilities.shape != (len(chunk), 10) or digit.shape != (len(chunk),):
            sys.exit(f"tritonclient-check: FAILED: output shapes {probabilities.shape}, {digit.shape}")
        if not np.array_equal(np.argmax(probabilities, axis=1), digit):
            sys.exit("tritonclient-check: FAILED: digit is not the most probable class")
        digits.extend(int(d) for d in digit)
        versions.add(result.get_response()["model_version"])
    return np.array(digits), versions


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="host:port of the server")
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--min-accuracy", type=float, default=0.99)
    parser.add_argument("--version", default="", help="a registered model id to read by version")
    args = parser.parse_args()

    images, labels = mnist_test(args.mnist_dir, args.count)
    client = httpclient.InferenceServerClient(url=args.url)
    check(client.is_server_live(), "server live")
    check(client.is_server_ready(), "server ready")
    server = client.get_server_metadata()
    check(server.get("name") == MODEL and "binary_tensor_data" in server.get("extensions", []),
          f"server metadata names {MODEL} and the binary_tensor_data extension: {server}")
    metadata = client.get_model_metadata(MODEL)
    check([i["name"] for i in metadata["inputs"]] == ["image"] and metadata["inputs"][0]["shape"] == [-1, 28, 28],
          f"model metadata input image [-1, 28, 28]: {metadata['inputs']}")
    check([(o["name"], o["datatype"], o["shape"]) for o in metadata["outputs"]]
          == [("probabilities", "FP32", [-1, 10]), ("digit", "INT64", [-1])],
          f"model metadata outputs probabilities FP32 [-1, 10], digit INT64 [-1]")
    check(client.is_model_ready(MODEL), "model ready")

    for binary in (False, True):
        digits, versions = classify(client, images, args.batch, binary)
        accuracy = float(np.mean(digits == labels))
        check(accuracy >= args.min_accuracy,
              f"{len(images)} images in batches of {args.batch}, {'binary' if binary else 'JSON'} tensors: "
              f"accuracy {accuracy:.3f} (model {', '.join(sorted(versions))})")

    # Default outputs (none named): tritonclient then asks for every output in binary.
    tensor = httpclient.InferInput("image", [1, 28, 28], "UINT8")
    tensor.set_data_from_numpy(images[:1])
    result = client.infer(MODEL, [tensor])
    check(int(result.as_numpy("digit")[0]) == int(labels[0]) and result.as_numpy("probabilities").shape == (1, 10),
          "no outputs named: both outputs come back in binary")

    try:
        client.infer("no-such-model", [tensor])
        check(False, "an unknown model is refused")
    except InferenceServerException as error:
        check("unknown model" in str(error), f"an unknown model is refused: {error}")

    if args.version:
        check(args.version in client.get_model_metadata(MODEL)["versions"], f"version {args.version} is listed")
        check(client.is_model_ready(MODEL, model_version=args.version), f"version {args.version} ready")
        digits, versions = classify(client, images, args.batch, True, version=args.version)
        accuracy = float(np.mean(digits == labels))
        check(versions == {args.version} and accuracy >= args.min_accuracy,
              f"version {args.version}: answered by {sorted(versions)}, accuracy {accuracy:.3f}")
    print("tritonclient-check: all checks passed")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that two safetensors files hold byte-identical tensors (same names, order, dtypes,
shapes and data) and reports how their __metadata__ differs.

Used after `mnist-cnn quantize` to show the calibration only added metadata:

    git show HEAD~1:models/mnist-cnn.safetensors > /tmp/before.safetensors
    python3 scripts/check-tensors-unchanged.py /tmp/before.safetensors models/mnist-cnn.safetensors

Exit status 0 when every tensor is identical, 1 otherwise. Standard library only.
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], body[start:end])
    return list(header), tensors, metadata


def main(before_path, after_path):
    before_names, before, before_meta = read(before_path)
    after_names, after, after_meta = read(after_path)
    ok = True
    if before_names != after_names:
        print(f"tensor names or order differ: {before_names} vs {after_names}")
        ok = False
    for name in before_names:
        if name in after and before[name] != after[name]:
            print(f"tensor {name} differs")
            ok = False
    total = sum(len(t[2]) for t in before.values())
    if ok:
        print(f"{len(before_names)} tensors, {total} bytes: identical")
    added = sorted(set(after_meta) - set(before_meta))
    removed = sorted(set(before_meta) - set(after_meta))
    changed = sorted(k for k in set(before_meta) & set(after_meta) if before_meta[k] != after_meta[k])
    print(f"metadata added: {added}; removed: {removed}; changed: {changed}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))

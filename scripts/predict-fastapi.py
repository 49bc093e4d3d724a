#!/usr/bin/env python3
"""The comparison server for scripts/bench-predict.sh: FastAPI + uvicorn + ONNX Runtime serving
the same model file as `mnist-cnn serve`, with the same /predict for 784 raw bytes.

The ONNX graph is built from the safetensors tensors and the architecture in the file's
metadata by scripts/bench-int8-onnxruntime.py (batch norms folded, as ONNX Runtime's own fp32
optimizer would). One uvicorn worker at its default logging (an access line per request), one
ONNX Runtime session at its default threading: what a FastAPI service looks like out of the box.

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install fastapi uvicorn onnx onnxruntime numpy safetensors
    MODEL=models/mnist-cnn.safetensors /tmp/ort/bin/python scripts/predict-fastapi.py --port 18091
"""
import argparse, importlib.util, os

import numpy as np
import onnx
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, HTTPException, Request

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ort_bench", os.path.join(here, "bench-int8-onnxruntime.py"))
ort_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ort_bench)

session = ort.InferenceSession(ort_bench.build_graph(os.environ["MODEL"]).SerializeToString(), providers=["CPUExecutionProvider"])
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    body = await request.body()
    if len(body) != 784:
        raise HTTPException(status_code=400, detail="expected 784 raw bytes")
    image = np.frombuffer(body, dtype=np.uint8).astype(np.float32).reshape(1, 1, 28, 28) / 255
    logits = session.run(None, {"input": image})[0][0]
    exp = np.exp(logits - logits.max())
    probabilities = exp / exp.sum()
    digit = int(probabilities.argmax())
    return {"digit": digit, "confidence": float(probabilities[digit]), "probabilities": probabilities.tolist()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=18091)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port)

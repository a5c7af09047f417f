"""A real Triton Inference Server for tests: PyTriton's bundled tritonserver serving an OpenVINO IR on the CPU.

Run by the Python of a separate venv (nvidia-pytriton needs numpy<2):
    python triton_server.py --model-dir models/exported/yolo11n-pose_openvino_model --name yolo11n-pose \
        --http-port 8000 --grpc-port 8001 --metrics-port 8002
Triton itself (C++) receives the KServe v2 requests and runs its dynamic batcher; the bound Python function runs the
graph with OpenVINO and prints one line per batch it gets ("batch <n> <h>x<w>") so tests can see the batching.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np


def main() -> int:
    """Serve the model until killed."""
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--grpc-port", type=int, required=True)
    p.add_argument("--metrics-port", type=int, required=True)
    p.add_argument("--max-batch", type=int, default=16)
    p.add_argument("--queue-delay-us", type=int, default=50_000)
    p.add_argument("--workspace", type=Path, help="PyTriton's scratch folder (default ~/.cache/pytriton)")
    args = p.parse_args()
    os.environ.setdefault("OPENVINO_TELEMETRY_OPT_OUT", "1")

    import openvino as ov
    from pytriton.decorators import batch
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    xml = next(iter(sorted(args.model_dir.glob("*.xml"))))
    compiled = ov.Core().compile_model(str(xml), "CPU", {"PERFORMANCE_HINT": "LATENCY"})

    @batch
    def infer(images: np.ndarray) -> dict[str, Any]:
        print(f"batch {images.shape[0]} {images.shape[2]}x{images.shape[3]}", flush=True)
        return {"output0": np.asarray(compiled(images)[0], np.float32)}

    config = TritonConfig(http_address="127.0.0.1", http_port=args.http_port, grpc_address="127.0.0.1",
                          grpc_port=args.grpc_port, metrics_port=args.metrics_port, allow_metrics=False,
                          log_verbose=0)
    with Triton(config=config, workspace=args.workspace) as triton:
        triton.bind(model_name=args.name, infer_func=infer,
                    inputs=[Tensor(name="images", dtype=np.float32, shape=(3, -1, -1))],
                    outputs=[Tensor(name="output0", dtype=np.float32, shape=(-1, -1))],
                    config=ModelConfig(max_batch_size=args.max_batch,
                                       batcher=DynamicBatcher(max_queue_delay_microseconds=args.queue_delay_us)),
                    strict=False)
        print("serving", flush=True)
        triton.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())

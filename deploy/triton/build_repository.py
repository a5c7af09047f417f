"""Build the Triton model repository: ONNX exports (dynamic) of the hash-checked .pt models with their config.pbtxt.

Run in the full install (it exports with Ultralytics), offline:
    .venv/bin/python deploy/triton/build_repository.py                       # into deploy/triton/model_repository
    .venv/bin/python deploy/triton/build_repository.py --check               # config.pbtxt files up to date?
Then build the server image (deploy/triton/Dockerfile) or copy the folder to your Triton's model repository.
Each model is named as the service asks for it: detector.model: http://<triton>:8000/yolo11n-pose.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REPOSITORY = HERE / "model_repository"
sys.path.insert(0, str(REPO))

#: Triton model name -> registry name of the .pt it serves.
MODELS = {"yolo11n-pose": "yolo11n-pose.pt", "yolo11n-head": "yolo11n-head.pt"}
MAX_BATCH = 32
QUEUE_DELAY_US = 2000  # how long Triton holds a request to batch it with others (shards send at random times)


def stable_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Keep what the service reads from Ultralytics' metadata (no dates or versions: the file stays stable)."""
    keys = ("task", "stride", "imgsz", "names", "kpt_shape", "end2end")
    out = {k: meta[k] for k in keys if k in meta}
    out["args"] = {"dynamic": True}
    out["names"] = {int(k): str(v) for k, v in out.get("names", {}).items()}
    return out


def config_pbtxt(name: str, meta: dict[str, Any]) -> str:
    """Return the model's config.pbtxt: ONNX Runtime on the GPU (TensorRT), dynamic batching, the metadata."""
    metadata = json.dumps(stable_metadata(meta), sort_keys=True).replace("\\", "\\\\").replace('"', '\\"')
    return f'''# {name}: YOLO11n ONNX export (dynamic batch and size) of models/{MODELS[name]}, by
# deploy/triton/build_repository.py. The service letterboxes frames and decodes boxes itself (backend triton).
name: "{name}"
backend: "onnxruntime"
max_batch_size: {MAX_BATCH}
input [
  {{
    name: "images"
    data_type: TYPE_FP32
    dims: [ 3, -1, -1 ]
  }}
]
output [
  {{
    name: "output0"
    data_type: TYPE_FP32
    dims: [ -1, -1 ]
  }}
]
# Requests of the same size (cameras of the same resolution) from every shard are batched together.
dynamic_batching {{
  max_queue_delay_microseconds: {QUEUE_DELAY_US}
}}
instance_group [
  {{
    count: 2
    kind: KIND_GPU
  }}
]
# TensorRT through ONNX Runtime, fp16: builds an engine per input shape on first use (minutes), then reuses it.
optimization {{
  execution_accelerators {{
    gpu_execution_accelerator: [
      {{
        name: "tensorrt"
        parameters {{ key: "precision_mode" value: "FP16" }}
        parameters {{ key: "max_workspace_size_bytes" value: "2147483648" }}
        parameters {{ key: "trt_engine_cache_enable" value: "1" }}
        parameters {{ key: "trt_engine_cache_path" value: "/tmp/trt-cache" }}
      }}
    ]
  }}
}}
# What the model is (task, classes, keypoints, stride), read by the service at start.
parameters {{
  key: "metadata"
  value: {{ string_value: "{metadata}" }}
}}
'''


def export_onnx(registry_name: str, work: Path) -> tuple[Path, dict[str, Any]]:
    """Export a hash-checked registry .pt to a dynamic ONNX file; return it and its metadata."""
    import onnx

    from monitor.commands.export import export_model
    from monitor.detect.models import resolve_model

    source = Path(resolve_model(registry_name).path)  # raises when the .pt's sha256 is not models.yaml's
    made = export_model(source, "onnx", work, dynamic=True)
    props = {p.key: p.value for p in onnx.load(str(made), load_external_data=False).metadata_props}
    from monitor.detect.yolo_numpy import ModelMeta

    parsed = ModelMeta.parse(dict(props))
    return made, {"task": parsed.task, "stride": parsed.stride, "imgsz": list(parsed.imgsz),
                  "names": parsed.names, "end2end": parsed.end2end,
                  **({"kpt_shape": list(parsed.kpt_shape)} if parsed.kpt_shape else {})}


def main(argv: list[str] | None = None) -> int:
    """Build (or check) the repository."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPOSITORY)
    p.add_argument("--check", action="store_true",
                   help="only check that the committed config.pbtxt files match the bundled exports' metadata")
    args = p.parse_args(argv)
    if args.check:
        import yaml

        from monitor.detect.models import load_registry, model_file

        reg = load_registry()
        stale = []
        for name, pt in MODELS.items():
            export = next(i for i in reg.values() if i.export_of == pt)
            meta = yaml.safe_load((model_file(export) / "metadata.yaml").read_text(encoding="utf-8"))
            if (args.out / name / "config.pbtxt").read_text(encoding="utf-8") != config_pbtxt(name, meta):
                stale.append(name)
        print("triton configs: " + (f"stale: {', '.join(stale)}" if stale else "up to date"))
        return 1 if stale else 0

    from monitor.detect.env import prepare_ultralytics_env

    with tempfile.TemporaryDirectory(prefix="triton-") as tmp:
        prepare_ultralytics_env(Path(tmp) / "state")
        for name, pt in MODELS.items():
            made, meta = export_onnx(pt, Path(tmp))
            target = args.out / name
            (target / "1").mkdir(parents=True, exist_ok=True)
            shutil.move(str(made), target / "1" / "model.onnx")
            (target / "config.pbtxt").write_text(config_pbtxt(name, meta), encoding="utf-8")
            print(f"{target}: model.onnx + config.pbtxt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

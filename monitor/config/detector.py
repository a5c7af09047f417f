"""Detection model settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ConfigModel


class TilingConfig(ConfigModel):
    """Tiled inference for large frames where people are small."""

    rows: int = Field(2, ge=1, le=8, title="Tile rows", description="Number of tile rows.")
    cols: int = Field(2, ge=1, le=8, title="Tile columns", description="Number of tile columns.")
    overlap: float = Field(0.2, ge=0.0, lt=0.9, title="Overlap",
                           description="Overlap between neighbouring tiles, as a share of the tile size.")


class DetectorConfig(ConfigModel):
    """Which model finds people and how it runs."""

    model: str = Field("yolo11n-pose.pt", title="Person model",
                       description="A name from models/models.yaml, a path to any Ultralytics format "
                                   "(.pt, .onnx, _openvino_model/, .engine) or a Triton URL.")
    head_model: str | None = Field("yolo11n-head.pt", title="Head model",
                                   description="Model used by zones with count_mode 'head' and by the fused and head "
                                               "modes of `count`; null disables head counting.")
    head_imgsz: int | None = Field(960, ge=32, le=4096, title="Head image size",
                                   description="Inference size of the head model (null: imgsz). 960 was chosen on "
                                               "held-out validation images: seated heads are small.")
    head_conf: float | None = Field(0.3, gt=0.0, lt=1.0, title="Head confidence",
                                    description="Minimum confidence of the head model (null: conf).")
    imgsz: int = Field(640, ge=32, le=4096, title="Image size", description="Inference size in pixels.")
    conf: float = Field(0.25, gt=0.0, lt=1.0, title="Confidence", description="Minimum detection confidence.")
    iou: float = Field(0.6, gt=0.0, lt=1.0, title="NMS IoU", description="IoU threshold for non-maximum suppression.")
    backend: Literal["auto", "ultralytics", "openvino", "onnxruntime", "torch", "triton"] = Field(
        "auto", title="Backend",
        description="What runs the model: 'auto' (the fastest available, see README 'Performance'), 'ultralytics' "
                    "(any format), 'openvino' / 'onnxruntime' (exports, without torch), 'torch' (.pt, GPU-side "
                    "pre/post-processing), 'triton' (model: http://host:8000/<name> of a Triton Inference Server, "
                    "see deploy/triton/; pre/post-processing here, without torch).")
    device: str = Field("cpu", title="Device", description="'cpu', 'cuda', 'cuda:0', or an Ultralytics device string.")
    half: bool = Field(False, title="Half precision", description="fp16 inference (GPU only).")
    max_batch: int = Field(8, ge=1, le=1024, title="Max batch",
                           description="Most frames sent to the model in one call.")
    tiling: TilingConfig | None = Field(None, title="Tiling", description="Tile large frames (off by default).")

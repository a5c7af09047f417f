"""PyTorch backend for GPUs: batched inference with letterbox, normalisation and NMS done on the device."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..config import DetectorConfig
from .base import BatchCallback, Detector
from .detections import Detections
from .models import ResolvedModel, resolve_model
from .yolo_numpy import MAX_NMS, PAD_VALUE, fit_shape

_TASKS = ("detect", "pose")


class TorchDetector(Detector):
    """A ``.pt`` model run by torch itself; only the uint8 frames go up to the device and small results come back.

    Ultralytics' ``predict`` letterboxes with OpenCV and runs NMS image by image on the CPU, which caps a big
    GPU at about a tenth of what the network can do. Here the frames of a batch are uploaded once (pinned
    memory), resized, padded and normalised on the device, the network runs in fp16 when ``half`` is set, and
    NMS runs on the device. On the CPU the same code runs (fp32), which is how it is tested.
    """

    def __init__(self, cfg: DetectorConfig, kind: str, model: ResolvedModel | str | Path, *,
                 on_batch: BatchCallback | None = None) -> None:
        """Load the checkpoint onto ``cfg.device`` (Ultralytics is used only to unpickle and fuse the model)."""
        if os.environ.get("YOLO_OFFLINE") != "1":
            raise RuntimeError("call monitor.detect.env.prepare_ultralytics_env(state_dir) before loading a "
                               "model")
        resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
        path = Path(resolved.path)
        if resolved.is_url or path.suffix != ".pt":
            raise ValueError(f"the torch backend runs .pt models, not {path.name!r}")
        classes = resolved.classes_for(kind, path.name)
        name = resolved.info.name if resolved.info else path.name
        super().__init__(name=name, kind=kind, max_batch=cfg.max_batch, classes=classes, on_batch=on_batch)
        import torch
        import torchvision  # noqa: F401 - registers torchvision.ops.nms
        from ultralytics.nn.tasks import load_checkpoint

        self.torch = torch
        self.device = torch.device(cfg.device if cfg.device != "cuda" else "cuda:0")
        net, _ = load_checkpoint(str(path), device=self.device, fuse=True)
        self.task = str(getattr(net, "task", "detect"))
        if self.task not in _TASKS:
            raise ValueError(f"model {name!r} has task {self.task!r}; person/head counting needs one of {_TASKS}")
        self.half = bool(cfg.half and self.device.type == "cuda")
        self.net: Any = (net.half() if self.half else net.float()).eval()
        self.names = {int(k): str(v) for k, v in dict(net.names).items()}
        kpt = getattr(net, "kpt_shape", None) or (net.yaml.get("kpt_shape") if hasattr(net, "yaml") else None)
        self.kpt_shape: tuple[int, int] | None = (int(kpt[0]), int(kpt[1])) if kpt and self.task == "pose" else None
        self.stride = max(int(net.stride.max()), 32)
        self.end2end = bool(getattr(net, "end2end", False))
        self.imgsz = (cfg.imgsz, cfg.imgsz)
        self.conf, self.iou = cfg.conf, cfg.iou
        self.model_seconds = 0.0  # time in the network alone (synchronised), for the benchmark
        self.model_frames = 0
        self._pinned = self.device.type == "cuda"
        self._hosts: dict[tuple[int, int], Any] = {}
        self._copier = ThreadPoolExecutor(min(8, os.cpu_count() or 1), thread_name_prefix="upload") \
            if self._pinned else None

    def _host_buffer(self, n: int, h: int, w: int) -> Any:
        """Return an (n, h, w, 3) uint8 staging tensor, page-locked on CUDA and reused between batches.

        Allocating page-locked memory costs milliseconds per batch; the previous batch's copy is finished
        when it is reused, because every batch ends with a synchronising read of its results.
        """
        buf = self._hosts.get((h, w))
        if buf is None or buf.shape[0] < n:
            buf = self.torch.empty((max(n, self.max_batch), h, w, 3), dtype=self.torch.uint8,
                                   pin_memory=self._pinned)
            self._hosts[(h, w)] = buf
        return buf[:n]

    # -- pre-processing ------------------------------------------------------------------------------------------

    def preprocess(self, frames: list[np.ndarray]) -> tuple[Any, list[tuple[float, float, int, int, int, int]]]:
        """Upload uint8 BGR frames and letterbox them on the device into one normalised RGB NCHW batch.

        Returns the batch and, per frame, (gain_x, gain_y, pad_x, pad_y, width, height) to map boxes back.
        Sizes and padding are computed exactly as Ultralytics' LetterBox; the resize is bilinear on the
        device, rounded to whole grey levels like OpenCV's uint8 output.
        """
        torch = self.torch
        import torch.nn.functional as F  # noqa: N812 - the usual name

        shape = fit_shape(frames, self.imgsz, self.stride, rect=True)
        dtype = torch.float16 if self.half else torch.float32
        batch = torch.full((len(frames), 3, *shape), PAD_VALUE / 255.0, dtype=dtype, device=self.device)
        geometry: list[tuple[float, float, int, int, int, int]] = [(1.0, 1.0, 0, 0, 0, 0)] * len(frames)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            groups.setdefault(frame.shape, []).append(i)
        for (h, w, _), idx in groups.items():
            # Frames of one size (usually all cameras) travel as one upload and one resize.
            host = self._host_buffer(len(idx), h, w)
            host_np = host.numpy()
            if len(idx) >= 8 and self._copier is not None:
                # 720p is 2.7 MB a frame: at thousands of frames/s one core cannot copy them all; numpy
                # releases the GIL for large copies, so a few threads share it.
                pairs = [(host_np[j], frames[i]) for j, i in enumerate(idx)]
                list(self._copier.map(lambda pair: np.copyto(*pair), pairs))
            else:
                for j, i in enumerate(idx):
                    host_np[j] = frames[i]
            img = host.to(self.device, non_blocking=self._pinned).permute(0, 3, 1, 2)[:, [2, 1, 0]].to(dtype)
            r = min(shape[0] / h, shape[1] / w)
            new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
            top, left = round((shape[0] - new_h) / 2 - 0.1), round((shape[1] - new_w) / 2 - 0.1)
            if (new_w, new_h) != (w, h):
                img = F.interpolate(img, size=(new_h, new_w), mode="bilinear", align_corners=False)
                img = img.round_().clamp_(0, 255)
            batch[idx, :, top:top + new_h, left:left + new_w] = img / 255.0
            for i in idx:
                geometry[i] = (new_w / w, new_h / h, left, top, w, h)
        return batch, geometry

    # -- post-processing -----------------------------------------------------------------------------------------

    def postprocess(self, out: Any, geometry: list[tuple[float, float, int, int, int, int]]) -> list[Detections]:
        """Confidence filter, class-aware NMS and mapping back to frame pixels for the whole batch at once.

        Every image's candidates go through one ``batched_nms`` (image and class as the group), so a batch
        costs a few device synchronisations, not two per frame; only the kept rows come back to the host.
        """
        torch = self.torch
        import torchvision

        b, nc = out.shape[0], len(self.names)
        if self.end2end:  # (B, N, 6 + extras), already suppressed
            rows_all = out if out.shape[-1] < out.shape[-2] else out.transpose(1, 2)
            img, anchor = torch.nonzero(rows_all[..., 4] > self.conf, as_tuple=True)
            rows = rows_all[img, anchor].float()
        else:  # (B, 4 + nc + extras, N)
            scores, cls = out[:, 4:4 + nc].max(dim=1)
            img, anchor = torch.nonzero(scores > self.conf, as_tuple=True)
            x = out.transpose(1, 2)[img, anchor].float()
            xy, half = x[:, :2], x[:, 2:4] / 2
            rows = torch.cat([xy - half, xy + half, scores[img, anchor, None].float(),
                              cls[img, anchor, None].float(), x[:, 4 + nc:]], dim=1)
        if self.classes is not None and rows.shape[0]:
            keep = torch.isin(rows[:, 5], torch.tensor(self.classes, device=rows.device, dtype=rows.dtype))
            rows, img = rows[keep], img[keep]
        if not self.end2end and rows.shape[0]:
            if rows.shape[0] > MAX_NMS * b:
                top = rows[:, 4].argsort(descending=True)[:MAX_NMS * b]
                rows, img = rows[top], img[top]
            keep = torchvision.ops.batched_nms(rows[:, :4], rows[:, 4], img * (nc + 1) + rows[:, 5].long(),
                                               self.iou)
            rows, img = rows[keep], img[keep]
        if rows.shape[0]:
            geo = torch.tensor([g[:4] for g in geometry], device=rows.device, dtype=rows.dtype)[img]
            size = torch.tensor([g[4:] for g in geometry], device=rows.device, dtype=rows.dtype)[img]
            gx, gy, px, py, w, h = (t[:, None] for t in (*geo.T, *size.T))
            rows[:, [0, 2]] = torch.minimum(((rows[:, [0, 2]] - px) / gx).clamp_(min=0), w)
            rows[:, [1, 3]] = torch.minimum(((rows[:, [1, 3]] - py) / gy).clamp_(min=0), h)
            if self.kpt_shape is not None:
                k, d = self.kpt_shape
                kp = rows[:, 6:6 + k * d].reshape(-1, k, d).clone()
                kp[..., 0] = torch.minimum(((kp[..., 0] - px) / gx).clamp_(min=0), w)
                kp[..., 1] = torch.minimum(((kp[..., 1] - py) / gy).clamp_(min=0), h)
                rows[:, 6:6 + k * d] = kp.reshape(-1, k * d)
        data, which = rows.cpu().numpy(), img.cpu().numpy()  # the batch's only copy back to the host
        return [self._detections(data[which == i][:300], geometry[i]) for i in range(b)]

    def _detections(self, data: np.ndarray, geo: tuple[float, float, int, int, int, int]) -> Detections:
        """Wrap one frame's kept rows (x1 y1 x2 y2 conf cls keypoints..., frame pixels) as Detections."""
        w, h = int(geo[4]), int(geo[5])
        if not len(data):
            return Detections.empty((w, h), self.kind)
        kp = None
        if self.kpt_shape is not None:
            kp = data[:, 6:6 + self.kpt_shape[0] * self.kpt_shape[1]].reshape(-1, *self.kpt_shape).astype(np.float32)
            if kp.shape[2] == 2:  # no visibility channel: every keypoint counts as seen, as in from_ultralytics
                kp = np.concatenate([kp, np.ones((*kp.shape[:2], 1), np.float32)], axis=2)
        return Detections(data[:, :4].astype(np.float32), data[:, 4].astype(np.float32),
                          data[:, 5].astype(np.int32), (w, h), self.kind, kp)

    # -- the batch -----------------------------------------------------------------------------------------------

    def forward(self, batch: Any) -> Any:
        """Run the network on a prepared batch; return the raw output (B, C, N)."""
        torch = self.torch
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.net(batch)
        out = out[0] if isinstance(out, list | tuple) else out
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.model_seconds += time.perf_counter() - t0
        self.model_frames += int(batch.shape[0])
        return out

    def _predict_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        """Letterbox on the device, run the network, NMS on the device, bring back the kept rows."""
        if self.net is None:
            raise RuntimeError(f"detector {self.name!r} was closed")
        with self.torch.inference_mode():
            batch, geometry = self.preprocess(frames)
            return self.postprocess(self.forward(batch), geometry)

    def close(self) -> None:
        """Drop the network and give its GPU memory back."""
        self.net = None
        self._hosts.clear()
        if self._copier is not None:
            self._copier.shutdown(wait=False)
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()

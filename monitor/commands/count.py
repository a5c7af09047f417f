"""count: detect people in image files and print one JSON line per image (whole frame, and per zone)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..config import AppConfig, CameraConfig, DetectorConfig, TilingConfig, ZoneConfig
from ..detect.base import Detector
from ..detect.detections import Detections

NAME = "count"
HELP = "count people in image files or folders; one JSON line per image"
DESCRIPTION = """Run the detector on images and print one JSON line per image:
  {"image": "hall.jpg", "people": 7, "mode": "fused", "persons": 3, "extra_heads": 4, "zones": {"waiting": 5}}
"people" is the whole-frame count and "mode" says which counting mode made it. "zones" appears only with
--config (the zones of --camera, counted as the service counts them). An unreadable image prints
{"image": ..., "error": ...}; the exit status is then 1 (2: bad config/model). Folders are read
non-recursively (jpg, jpeg, png, bmp, webp, tif, tiff), in name order.

--mode chooses what "people" counts in the whole frame:
  fused   person boxes + heads that no person box explains (default when a head model is configured):
          right on ordinary photos and on seated rows ("persons" and "extra_heads" say how it was made)
  person  the person/pose model only (misses people seated behind desks or hidden by others)
  head    detector.head_model only (seated rows; may miss people turned away on close-up photos)
  auto    fused, or person when no head model is configured
--imgsz/--conf apply to every model that counts; --head-imgsz/--head-conf then override them for the head
model (defaults: detector.head_imgsz 960, head_conf 0.3)."""

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
MODES = ("auto", "person", "head", "fused")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files and/or folders of images")
    p.add_argument("--config", "-c", help="YAML config: its detector settings and the zones of --camera")
    p.add_argument("--camera", help="camera whose zones are counted (needed when the config has several)")
    p.add_argument("--mode", choices=MODES, default="auto",
                   help="what 'people' counts: fused, person or head (default auto: fused with a head model)")
    p.add_argument("--model", help="model name/path for the whole-frame count (overrides the config)")
    p.add_argument("--imgsz", type=int, help="inference size in pixels of every model (overrides the config)")
    p.add_argument("--conf", type=float, help="minimum confidence of every model (overrides the config)")
    p.add_argument("--head-imgsz", type=int, help="inference size of the head model (overrides --imgsz)")
    p.add_argument("--head-conf", type=float, help="minimum confidence of the head model (overrides --conf)")
    p.add_argument("--device", help="'cpu', 'cuda:0', ... (overrides the config)")
    p.add_argument("--state-dir", type=Path,
                   help="where Ultralytics keeps its settings (default: the config's state_dir, else "
                        "$XDG_CACHE_HOME/onestop-monitor)")


def whole_frame_mode(mode: str, detector: DetectorConfig) -> str:
    """Return the counting mode ('person', 'head' or 'fused') that counts the whole frame for ``--mode``.

    'auto' picks fused when a head model is configured: person boxes are right on ordinary photos, heads on
    seated rows (the person model alone misses ~90% of a classroom, the head model alone over-counts close-ups),
    and the fusion is right on both (README, "Counting seated people"). Without a head model: person.
    """
    if mode in ("person", "head", "fused"):
        return mode
    return "fused" if detector.head_model else "person"


def mode_kinds(mode: str) -> set[str]:
    """Return the detector kinds a whole-frame counting mode needs."""
    return {"person", "head"} if mode == "fused" else {mode}


def iter_images(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """Yield (image path, None) for each image, or (path, error) for a path that yields no image."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                yield raw, "no images in this folder"
            for f in files:
                yield str(f), None
        elif path.exists():
            yield raw, None  # an explicit file is tried whatever its suffix
        else:
            yield raw, "no such file or folder"


def read_image(path: str) -> np.ndarray:
    """Read an image as BGR; raise ValueError when it cannot be decoded."""
    import cv2

    # imdecode of the bytes, not imread: it opens any path Python can (Vietnamese names on Windows too).
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ValueError("not a readable image")
    return image


def _pick_camera(cfg: AppConfig, camera_id: str | None) -> CameraConfig | None:
    """Return the camera whose zones to count, printing why when there is no single answer."""
    cameras = [c for s in cfg.sites for c in s.cameras]
    if camera_id is None:
        if len(cameras) == 1:
            return cameras[0]
        print(f"--camera is needed: the config has {len(cameras)} cameras "
              f"({', '.join(c.id for c in cameras) or 'none'})", file=sys.stderr)
        return None
    from ._common import find_camera

    return find_camera(cfg, camera_id)


def detector_overrides(args: argparse.Namespace, base: DetectorConfig, mode: str) -> DetectorConfig:
    """Apply the command-line overrides to the configured detector settings.

    --imgsz/--conf apply to every model that counts, the head model included; --head-imgsz/--head-conf then
    set the head model's own. --model replaces the head model in head mode, the person model otherwise.
    The result is validated, so an out-of-range value raises ValueError (pydantic's ValidationError).
    """
    update: dict[str, Any] = {k: getattr(args, k) for k in ("imgsz", "conf", "device")
                              if getattr(args, k, None) is not None}
    update.update({f"head_{k}": update[k] for k in ("imgsz", "conf") if k in update})
    update.update({f"head_{k}": getattr(args, f"head_{k}") for k in ("imgsz", "conf")
                   if getattr(args, f"head_{k}", None) is not None})
    if getattr(args, "model", None):
        update["head_model" if mode == "head" else "model"] = args.model
    return DetectorConfig.model_validate({**base.model_dump(), **update})


class Counter:
    """Runs the detectors a count needs and turns each image into its JSON record."""

    def __init__(self, detectors: dict[str, Detector], mode: str, zones: list[ZoneConfig],
                 tiling: TilingConfig | None, with_zones: bool) -> None:
        """Keep the detectors (wrapped for tiling when configured) and what to count."""
        if tiling is not None:
            from ..detect.tiling import TiledDetector  # only when tiling is configured

            detectors = {k: TiledDetector(d, tiling) for k, d in detectors.items()}
        self.detectors = detectors
        self.mode = mode
        self.zones = zones
        self.with_zones = with_zones

    def count(self, images: list[np.ndarray]) -> list[dict[str, Any]]:
        """Return the counts of each image: {"people": n, "mode": ...} plus {"zones": {...}} with zones."""
        from ..zones.assign import count_zones

        # One model call per image size: Ultralytics pads a batch of mixed sizes to one square shape, which
        # changes a close call; same-size batches give each image exactly its count when counted alone.
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            by_shape.setdefault(image.shape, []).append(i)
        per_image: list[dict[str, Detections]] = [{} for _ in images]
        for idx in by_shape.values():
            for kind in sorted(self.detectors):
                for i, found in zip(idx, self.detectors[kind].predict([images[i] for i in idx]), strict=True):
                    per_image[i][kind] = found
        out: list[dict[str, Any]] = []
        for dets in per_image:
            out.append(whole_frame_record(self.mode, dets))
            if self.with_zones:
                out[-1]["zones"] = count_zones(dets, self.zones)
        return out


def whole_frame_record(mode: str, dets: dict[str, Detections]) -> dict[str, Any]:
    """Return {"people": n, "mode": mode} (fused: also "persons" and "extra_heads") for one frame."""
    if mode != "fused":
        return {"people": len(dets[mode]), "mode": mode}
    from ..detect.fusion import fuse_people

    fused = fuse_people(dets["person"], dets["head"])
    return {"people": len(fused), "mode": mode, "persons": len(fused.persons), "extra_heads": len(fused.heads)}


def _emit(record: dict[str, Any]) -> None:
    """Print one JSON line (UTF-8 as is: Vietnamese file and zone names stay readable)."""
    print(json.dumps(record, ensure_ascii=False), flush=True)


def run(args: argparse.Namespace) -> int:
    """Count people in every image; return 0, 1 if any image failed, 2 for a bad config or model."""
    from ..detect.env import default_state_dir
    from ..detect.models import ModelError

    zones: list[ZoneConfig] = []
    tiling: TilingConfig | None = None
    if args.config:
        from ._common import load_or_report

        loaded = load_or_report(args.config)
        if loaded is None:
            return 2
        camera = _pick_camera(loaded.config, args.camera)
        if camera is None:
            return 2
        zones, base, state_dir = list(camera.zones), loaded.config.detector, loaded.config.service.state_dir
        tiling = camera.tiling or base.tiling
        base_dir: Path | None = loaded.path.parent if loaded.path else None
    else:
        if args.camera:
            print("--camera needs --config", file=sys.stderr)
            return 2
        # model_validate: mypy without the pydantic plugin does not see the fields' defaults.
        base, state_dir, base_dir = DetectorConfig.model_validate({}), default_state_dir(), None
    # --model names the whole-frame model; with --mode auto it is taken as a person model.
    mode = "person" if args.model and args.mode == "auto" else whole_frame_mode(args.mode, base)
    kinds = mode_kinds(mode) | {z.count_mode for z in zones}
    try:
        cfg = detector_overrides(args, base, mode)
        from ..detect.build import build_detectors
        from ..detect.env import prepare_ultralytics_env, ultralytics_logs_to_stderr

        prepare_ultralytics_env(args.state_dir or state_dir)
        ultralytics_logs_to_stderr()
        detectors = build_detectors(cfg, kinds, args.state_dir or state_dir, base_dir=base_dir)
    except (ModelError, ValueError, RuntimeError, OSError) as exc:  # bad name, file, format or settings
        print(f"count: {exc}", file=sys.stderr)
        return 2
    counter = Counter(detectors, mode, zones, tiling, with_zones=bool(args.config))
    failed = 0
    batch: list[tuple[str, np.ndarray]] = []

    def flush() -> None:
        for (name, _), record in zip(batch, counter.count([im for _, im in batch]), strict=True):
            _emit({"image": name, **record})
        batch.clear()

    for name, error in iter_images(args.paths):
        image = None
        if error is None:
            try:
                image = read_image(name)
            except ValueError as exc:
                error = str(exc)
        if image is None:
            flush()  # keep the output in input order
            _emit({"image": name, "error": error})
            failed += 1
            continue
        batch.append((name, image))
        if len(batch) >= cfg.max_batch:
            flush()
    flush()
    return 1 if failed else 0

"""The comparison loop: Ultralytics' ``solutions.QueueManager`` on every frame of the benchmark clip."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import av

# The benchmark's waiting zone (bottom half of the frame), as QueueManager wants it: pixel corners.
REGION_NORM = [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]


def run_queue_manager(clip: Path, state_dir: Path, *, device: str = "cpu", model: str = "yolo11n-pose.pt",
                      imgsz: int = 640, seconds: float = 20.0, max_frames: int = 1000) -> dict[str, Any]:
    """Run QueueManager frame by frame on ``clip`` for ``seconds`` (after one warm-up frame); return frames/s.

    This is the loop Ultralytics' documentation shows for queue counting: read a frame, ``queue(frame)``
    (YOLO track + ByteTrack + region test + drawing), next frame. Decoding is part of it, as in that loop.
    Needs ``shapely`` and ``lap`` (Ultralytics' solution and tracker requirements) installed beforehand:
    Ultralytics would otherwise try to pip-install them.
    """
    from monitor.detect.env import prepare_ultralytics_env, ultralytics_logs_to_stderr
    from monitor.detect.models import resolve_model

    prepare_ultralytics_env(state_dir)
    ultralytics_logs_to_stderr()
    logging.getLogger("ultralytics").setLevel(logging.ERROR)  # "No tracks found" on every empty frame
    from ultralytics import solutions

    path = resolve_model(model).path
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        w, h = stream.codec_context.width, stream.codec_context.height
        region = [(int(x * (w - 1)), int(y * (h - 1))) for x, y in REGION_NORM]
        queue = solutions.QueueManager(model=path, region=region, show=False, verbose=False, classes=[0],
                                       device=device, imgsz=imgsz)
        frames, counts = 0, 0
        t0: float | None = None
        for frame in container.decode(stream):
            result = queue(frame.to_ndarray(format="bgr24"))
            counts += int(getattr(result, "queue_count", 0) or 0)
            if t0 is None:
                t0 = time.perf_counter()  # the first frame loads the model and the tracker: not steady state
                continue
            frames += 1
            if frames >= max_frames or time.perf_counter() - t0 >= seconds:
                break
    elapsed = time.perf_counter() - t0 if t0 is not None else 0.0
    return {"frames": frames, "seconds": elapsed, "fps": frames / elapsed if elapsed > 0 else 0.0,
            "width": w, "height": h, "device": device, "model": Path(path).name, "queue_counts_sum": counts}


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.queue_manager CLIP STATE_DIR OUT.json [--device D] [--seconds S]``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("clip", type=Path)
    ap.add_argument("state_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default="yolo11n-pose.pt")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args(argv)
    result = run_queue_manager(args.clip, args.state_dir, device=args.device, model=args.model,
                               imgsz=args.imgsz, seconds=args.seconds)
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

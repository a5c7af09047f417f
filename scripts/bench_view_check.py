"""Benchmark of the camera view check: CPU and wall time of one check (features of a frame + comparison).

    .venv/bin/python scripts/bench_view_check.py [--frames 120] [--repeat 3] [--threads N] [--video PATH]

Frames come from the shared one-by-one clip (768x432), also resized to 1280x720 and 1920x1080, and half of them
shifted by 3% so that both outcomes are timed. Each check takes another frame than the one before, as in the
service, where the frame comes fresh from the decoder (a cold cache). OpenCV keeps its default threads, as in
the service, unless --threads is given; CPU time is the whole process's, so work OpenCV hands to other threads
(and their waiting) is counted. Prints one line per frame size and a JSON line with the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.view.estimate import ViewEstimator  # noqa: E402

DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "intel_sample_videos" / \
    "one-by-one-person-detection.mp4"
SIZES = ((768, 432), (1280, 720), (1920, 1080))


def read_frames(path: Path, n: int) -> list[np.ndarray]:
    """Return n frames spread over the video."""
    cap = cv2.VideoCapture(str(path))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for i in np.linspace(0, total - 1, n).astype(int):
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
        ok, frame = cap.read()
        if ok:
            frames.append(frame)
    cap.release()
    if not frames:
        raise SystemExit(f"no frames read from {path}")
    return frames


def bench(frames: list[np.ndarray], size: tuple[int, int], repeat: int) -> dict[str, float]:
    """Return median/p90/max CPU ms and median wall ms of one check on frames of ``size``."""
    est = ViewEstimator()
    shift = np.float32([[1, 0, 0.03 * size[0]], [0, 1, 0]])
    images = [cv2.resize(f, size) for f in frames]
    images = [cv2.warpAffine(im, shift, size) if i % 2 else im for i, im in enumerate(images)]
    ref = est.features(images[0])
    cpu, wall = [], []
    for _ in range(repeat):
        for im in images[1:]:
            c0, w0 = time.process_time(), time.perf_counter()
            est.compare(ref, est.features(im, size=ref.size))
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
    cpu.sort()
    return {"cpu_ms_median": statistics.median(cpu), "cpu_ms_p90": cpu[int(0.9 * (len(cpu) - 1))],
            "cpu_ms_max": cpu[-1], "wall_ms_median": statistics.median(wall), "checks": len(cpu)}


def main() -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="cv2.setNumThreads (default: OpenCV's own)")
    args = ap.parse_args()
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    frames = read_frames(args.video, args.frames)
    out = {}
    for size in SIZES:
        r = bench(frames, size, args.repeat)
        out[f"{size[0]}x{size[1]}"] = round(r["cpu_ms_median"], 3)
        print(f"{size[0]}x{size[1]}: CPU per check median {r['cpu_ms_median']:.2f} ms, p90 {r['cpu_ms_p90']:.2f}, "
              f"max {r['cpu_ms_max']:.2f}; wall median {r['wall_ms_median']:.2f} ms ({r['checks']} checks, "
              f"OpenCV threads {cv2.getNumThreads()})")
    print(json.dumps({"view_check_cpu_ms_median": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

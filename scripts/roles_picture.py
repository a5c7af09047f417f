"""Render docs/roles-rule.png: the one-person-one-role rule on two real frames (persons blurred).

Left: the shared one-by-one clip seen over the citizen's back, a staff zone on the wall behind the high table and
a front zone on the floor: the standing citizen's head is inside the staff zone, but her feet are seen in the front
zone, so she is a citizen and the counter has no officer. Right: Ultralytics' zidane.jpg as a counter: the man on
the right stands in the staff zone with no citizen zone under his feet, so he is the officer.

    .venv/bin/python scripts/roles_picture.py [--shared-data ../shared/data] [--out docs/roles-rule.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from monitor.annotate import annotate
from monitor.config import CameraConfig, DetectorConfig, ZoneConfig
from monitor.config.camera import resolve_package_url
from monitor.detect import build_detectors
from monitor.pipeline.analyse import Analyser
from monitor.sources import iter_video

ROOT = Path(__file__).resolve().parents[1]
BACK_VIEW = [
    ZoneConfig(id="table-staff", kind="staff", counter="table",
               polygon=[(0.45, 0), (0.75, 0), (0.75, 0.5), (0.45, 0.5)]),
    ZoneConfig(id="table-front", kind="service", counter="table",
               polygon=[(0.4, 0.6), (0.85, 0.6), (0.85, 1), (0.4, 1)]),
]
COUNTER = [
    ZoneConfig(id="desk-1-staff", kind="staff", counter="desk-1", anchor="head",
               polygon=[(0.6, 0), (1, 0), (1, 1), (0.6, 1)]),
    ZoneConfig(id="desk-1-front", kind="service", counter="desk-1", anchor="head",
               polygon=[(0, 0), (0.6, 0), (0.6, 1), (0, 1)]),
]


def frame_at(video: Path, t: float) -> np.ndarray:
    """Return the clip's frame at t seconds."""
    for ts, frame in iter_video(video, t):
        if ts >= t:
            return frame
    raise SystemExit(f"{video} is shorter than {t} s")


def panel(analyser: Analyser, image: np.ndarray, zones: list[ZoneConfig], title: str, height: int) -> np.ndarray:
    """Return the annotated, blurred frame scaled to ``height`` with a title on top."""
    cam = CameraConfig(id="cam", url="x.jpg", zones=zones)
    a = analyser.analyse([(cam, image)])[0]
    out = annotate(image, a.detections.values(), zones, a.counts)
    out = cv2.resize(out, (round(out.shape[1] * height / out.shape[0]), height), interpolation=cv2.INTER_AREA)
    strip = np.full((36, out.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, title, (8, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.65, (20, 20, 20), 2, cv2.LINE_AA)
    return np.vstack([strip, out])


def main() -> None:
    """Write the picture."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "roles-rule.png")
    args = p.parse_args()
    detectors = build_detectors(DetectorConfig(), {"person"}, ROOT / "state" / "docs")
    analyser = Analyser(detectors)
    clip = args.shared_data / "intel_sample_videos" / "one-by-one-person-detection.mp4"
    left = panel(analyser, frame_at(clip, 40.0), BACK_VIEW,
                 "feet seen in the front zone: citizen, not officer", 432)
    zidane = cv2.imread(resolve_package_url("package://ultralytics/assets/zidane.jpg"))
    right = panel(analyser, zidane, COUNTER, "officer in staff zone, citizen at the front", 432)
    gap = np.full((left.shape[0], 8, 3), 255, np.uint8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.hstack([left, gap, right]))
    print(args.out)


if __name__ == "__main__":
    main()

"""Extra training data for the head model: zoomed crops of SCUT-HEAD web photos and people-free package photos."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Where `apt-get download opencv-doc python3-skimage` + `dpkg -x` put the Debian packages' files (see the card).
OPENCV_DOC = "usr/share/doc/opencv-doc/examples"
SKIMAGE = "usr/lib/python3/dist-packages/skimage/data"

#: Photos without any person or human head (each checked by eye), from Debian packages, used as negatives: the
#: model learns that animal faces, fruit, dark corners and textures are not heads. Path -> (package, licence).
NEGATIVES: dict[str, tuple[str, str]] = {
    **{f"{OPENCV_DOC}/data/{n}": ("opencv-doc 4.6.0+dfsg-12 (Debian bookworm)",
                                  "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)")
       for n in ("baboon.jpg", "fruits.jpg", "HappyFish.jpg", "starry_night.jpg", "chicky_512.png",
                 "butterfly.jpg", "board.jpg", "box_in_scene.png", "orange.jpg", "apple.jpg", "aloeL.jpg",
                 "rubberwhale1.png", "smarties.png", "blox.jpg", "home.jpg", "aero1.jpg", "ela_original.jpg",
                 "pca_test1.jpg", "graf1.png", "leuvenA.jpg", "squirrel_cls.jpg", "licenseplate_motion.jpg")},
    **{f"{OPENCV_DOC}/hfs/data/{n}": ("opencv-doc 4.6.0+dfsg-12 (Debian bookworm)",
                                      "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)")
       for n in ("000.jpg", "001.jpg", "002.jpg")},
    **{f"{OPENCV_DOC}/text/{n}": ("opencv-doc 4.6.0+dfsg-12 (Debian bookworm)",
                                  "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)")
       for n in ("scenetext02.jpg", "scenetext04.jpg", "scenetext05.jpg")},
    **{f"{SKIMAGE}/{n}": ("python3-skimage 0.19.3-8 (Debian bookworm)",
                          "BSD-3-Clause (scikit-image; the data docstrings say no known copyright restrictions)")
       for n in ("chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "brick.png", "gravel.png",
                 "grass.png", "moon.png", "hubble_deep_field.jpg")},
}

# Zoomed crops: the head chosen as the crop's subject ends up this wide (px) in a 640-px crop, i.e. from a
# mid-range person to a close-up face, the sizes SCUT-HEAD lacks (its heads are mostly 10-60 px).
TARGET_HEAD_PX = (90.0, 330.0)
MIN_SOURCE_HEAD_PX = 24.0  # smaller heads would be upscaled into mush
MIN_CROP_PX = 160  # at most 4x upscaling
OUT_SIDE = 640
KEEP_VISIBLE = 0.45  # a head cut by the crop edge keeps its label when this share of it is inside
GREY = 114  # Ultralytics' letterbox grey: what a partly cut head too small to label is painted over with


@dataclass(frozen=True)
class Box:
    """A head box in pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        """Return the width in pixels."""
        return self.x1 - self.x0

    @property
    def area(self) -> float:
        """Return the area in square pixels."""
        return max(self.x1 - self.x0, 0.0) * max(self.y1 - self.y0, 0.0)


def read_yolo_labels(path: Path, width: int, height: int) -> list[Box]:
    """Read a YOLO label file (class cx cy w h, normalised) as pixel boxes."""
    boxes = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue
        cx, cy, w, h = (float(v) for v in parts[1:])
        boxes.append(Box((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height))
    return boxes


def crop_window(head: Box, width: int, height: int, rng: random.Random) -> tuple[int, int, int, int] | None:
    """Pick a crop (x0, y0, x1, y1) that shows ``head`` at a close-up or mid-range size, or None if impossible."""
    target = rng.uniform(*TARGET_HEAD_PX)
    aspect = rng.choice((4 / 3, 1.0, 3 / 4))  # width / height
    long_side = head.width * OUT_SIDE / target
    cw = long_side if aspect >= 1 else long_side * aspect
    ch = long_side / aspect if aspect >= 1 else long_side
    scale = min(1.0, width / cw, height / ch)  # never larger than the photo
    cw, ch = cw * scale, ch * scale
    if max(cw, ch) < MIN_CROP_PX:
        return None
    # The subject's head sits in the upper half, so bodies below it (chests, hands) are in the crop unlabelled.
    cx = (head.x0 + head.x1) / 2 - rng.uniform(0.2, 0.8) * cw
    cy = (head.y0 + head.y1) / 2 - rng.uniform(0.15, 0.5) * ch
    x0 = int(round(min(max(cx, 0.0), width - cw)))
    y0 = int(round(min(max(cy, 0.0), height - ch)))
    return x0, y0, x0 + int(round(cw)), y0 + int(round(ch))


def crop_labels(boxes: list[Box], window: tuple[int, int, int, int]) -> tuple[list[Box], list[Box]]:
    """Return (boxes kept, clipped to the window and shifted into it; partly cut boxes to paint grey)."""
    x0, y0, x1, y1 = window
    kept, hidden = [], []
    for b in boxes:
        inside = Box(max(b.x0, x0), max(b.y0, y0), min(b.x1, x1), min(b.y1, y1))
        if inside.x1 <= inside.x0 or inside.y1 <= inside.y0 or b.area <= 0:
            continue
        shifted = Box(inside.x0 - x0, inside.y0 - y0, inside.x1 - x0, inside.y1 - y0)
        (kept if inside.area / b.area >= KEEP_VISIBLE else hidden).append(shifted)
    return kept, hidden


def write_yolo(path: Path, boxes: list[Box], width: int, height: int) -> None:
    """Write pixel boxes as a YOLO label file (class 0)."""
    path.write_text("".join(f"0 {(b.x0 + b.x1) / 2 / width:.6f} {(b.y0 + b.y1) / 2 / height:.6f} "
                            f"{b.width / width:.6f} {(b.y1 - b.y0) / height:.6f}\n" for b in boxes))


def make_closeups(data: Path, names: list[str], out: Path, seed: int, per_image: int) -> list[dict[str, Any]]:
    """Cut zoomed crops of the given SCUT-HEAD images (training split only) into OUT/images, OUT/labels."""
    import cv2

    rng = random.Random(f"{seed}:closeups")
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    made: list[dict[str, Any]] = []
    for name in names:
        img = cv2.imread(str(data / "images" / name), cv2.IMREAD_COLOR)
        if img is None:
            continue
        h, w = img.shape[:2]
        boxes = read_yolo_labels(data / "labels" / (Path(name).stem + ".txt"), w, h)
        subjects = [b for b in boxes if b.width >= MIN_SOURCE_HEAD_PX]
        for k in range(per_image):
            if not subjects:
                break
            window = crop_window(rng.choice(subjects), w, h, rng)
            if window is None:
                continue
            x0, y0, x1, y1 = window
            crop = img[y0:y1, x0:x1].copy()
            kept, hidden = crop_labels(boxes, window)
            for b in hidden:
                crop[int(b.y0):int(np.ceil(b.y1)), int(b.x0):int(np.ceil(b.x1))] = GREY
            s = OUT_SIDE / max(crop.shape[:2])
            crop = cv2.resize(crop, (round(crop.shape[1] * s), round(crop.shape[0] * s)),
                              interpolation=cv2.INTER_LINEAR if s > 1 else cv2.INTER_AREA)
            kept = [Box(b.x0 * s, b.y0 * s, b.x1 * s, b.y1 * s) for b in kept]
            stem = f"closeup_{Path(name).stem}_{k}"
            cv2.imwrite(str(out / "images" / f"{stem}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
            write_yolo(out / "labels" / f"{stem}.txt", kept, crop.shape[1], crop.shape[0])
            made.append({"image": f"{stem}.jpg", "source": name, "window": list(window), "heads": len(kept),
                         "largest_head_px": round(max((b.width for b in kept), default=0.0), 1)})
    return made


def make_negatives(packages: Path, out: Path) -> list[dict[str, Any]]:
    """Copy the people-free package photos into OUT/images with empty labels; return their provenance."""
    import cv2

    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    made: list[dict[str, Any]] = []
    missing = [p for p in NEGATIVES if not (packages / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} package photos missing under {packages} (first: {missing[0]}); "
                                "run: apt-get download opencv-doc python3-skimage && dpkg -x each .deb there")
    for rel, (package, licence) in NEGATIVES.items():
        src = packages / rel
        img = cv2.imread(str(src), cv2.IMREAD_COLOR)
        stem = f"neg_{Path(rel).parent.name}_{Path(rel).stem}"
        cv2.imwrite(str(out / "images" / f"{stem}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        (out / "labels" / f"{stem}.txt").write_text("")
        made.append({"image": f"{stem}.jpg", "file": "/" + rel, "package": package, "licence": licence,
                     "sha256": hashlib.sha256(src.read_bytes()).hexdigest(), "heads": 0})
    return made


def build_extra(data: Path, train_b: list[str], packages: Path, out: Path, seed: int, per_image: int, *,
                negatives: bool = True) -> dict[str, Any]:
    """Build the extra training images (close-up crops + negatives) in OUT; return the manifest (also saved)."""
    manifest = {"closeups": make_closeups(data, train_b, out, seed, per_image) if per_image else [],
                "negatives": make_negatives(packages, out) if negatives else []}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest

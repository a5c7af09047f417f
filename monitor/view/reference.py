"""References of camera views on disk: ORB features of the static scene, one file per camera and zone layout.

``<state_dir>/view/<camera>.<key>.npz`` where ``key`` hashes the camera's zones and its view_check reference
tag, so saving other zones (or a new tag) starts a new reference while a restart finds the one it had. Files
hold keypoint positions and binary descriptors of the background only (people masked out), never an image.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import CameraConfig
from .estimate import ViewFeatures

log = logging.getLogger(__name__)

VIEW_DIR = "view"
FORMAT = 1
KEEP_PER_CAMERA = 4
"""References kept per camera: going back to earlier zones finds the view they were drawn on."""


@dataclass(frozen=True)
class Reference:
    """A camera's reference view and when it was taken (unix time)."""

    features: ViewFeatures
    taken_at: float


def reference_key(camera: CameraConfig) -> str:
    """Return the hash that names a camera's reference: its zones and its view_check reference tag."""
    data = {"format": FORMAT, "zones": [z.model_dump(mode="json") for z in camera.zones],
            "tag": camera.view_check.reference_tag}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class ReferenceStore:
    """Load and save references under one folder (created on the first save)."""

    def __init__(self, folder: Path) -> None:
        """Keep references in ``folder`` (``<state_dir>/view``)."""
        self.folder = Path(folder)

    def path(self, camera_id: str, key: str) -> Path:
        """Return the file of a camera's reference for a key."""
        return self.folder / f"{camera_id}.{key}.npz"

    def load(self, camera_id: str, key: str) -> Reference | None:
        """Return the stored reference, None when there is none or it cannot be read (logged)."""
        path = self.path(camera_id, key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != FORMAT:
                    raise ValueError(f"format {int(data['format'])}, expected {FORMAT}")
                points = np.asarray(data["points"], np.float32).reshape(-1, 2)
                desc = np.asarray(data["descriptors"], np.uint8).reshape(-1, 32)
                w, h = (int(v) for v in data["size"])
                taken_at = float(data["taken_at"])
            if len(points) != len(desc) or w <= 0 or h <= 0:
                raise ValueError("inconsistent arrays")
        except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            log.warning("camera view reference unreadable; a new one will be taken",
                        extra={"camera": camera_id, "path": str(path), "error": str(exc)})
            return None
        return Reference(ViewFeatures(points, desc, (w, h)), taken_at)

    def save(self, camera_id: str, key: str, ref: Reference) -> Path:
        """Write a reference atomically and drop the camera's oldest ones beyond KEEP_PER_CAMERA."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(camera_id, key)
        fd, tmp = tempfile.mkstemp(prefix=f".{camera_id}.", suffix=".npz", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, format=np.int64(FORMAT), points=ref.features.points,
                         descriptors=ref.features.descriptors, size=np.asarray(ref.features.size, np.int64),
                         taken_at=np.float64(ref.taken_at))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._prune(camera_id, keep=path)
        return path

    def _prune(self, camera_id: str, keep: Path) -> None:
        # 'cam.*.npz' also matches camera 'cam.x': only names with exactly the key between id and suffix count.
        mine = [p for p in self.folder.glob(f"{camera_id}.*.npz") if p.name.count(".") == camera_id.count(".") + 2]
        ages = {p: _mtime(p) for p in mine}
        mine.sort(key=lambda p: (p != keep, -ages[p]))
        for old in mine[KEEP_PER_CAMERA:]:
            old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0

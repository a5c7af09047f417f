"""Evidence pictures: one blurred JPEG per camera when an alert starts firing, deleted after the retention period.

Layout: ``<state_dir>/evidence/<site>/<YYYY-MM-DD>/<unix seconds>_<rule>_<camera>_<key12>.jpg`` (UTC date of
saving). The name carries the saving time, so retention does not depend on file times that a copy or a backup
restore would change. Files are created 0600 in 0700 folders: only the service's user can read them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from ..alerts.notification import Notification
from ..annotate import encode_jpeg
from ..config import SiteConfig
from ..config.service import EvidenceConfig

log = logging.getLogger(__name__)

EVIDENCE_DIR = "evidence"
_NAME_RE = re.compile(r"^(\d{9,12})_[A-Za-z0-9_.-]+\.jpg$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def wants_evidence(cfg: EvidenceConfig, kind: str, rule: str, status: str, seq: int) -> bool:
    """Return whether a notification saves evidence: the first firing of a rule the config selects.

    camera_down never does: a dead camera has no current picture to show.

    >>> wants_evidence(EvidenceConfig(enabled=True), "long_queue", "long_queue:waiting", "firing", 0)
    True
    """
    if not cfg.enabled or status != "firing" or seq != 0 or kind == "camera_down":
        return False
    return cfg.rules is None or rule in cfg.rules or kind in cfg.rules


def cameras_for(subject: Mapping[str, str], site: SiteConfig) -> list[str]:
    """Return the ids of the site's cameras that show an alert's subject (a camera, a zone, or a counter)."""
    if subject.get("camera"):
        return [c.id for c in site.cameras if c.id == subject["camera"]]
    if subject.get("zone"):
        return [c.id for c in site.cameras if any(z.id == subject["zone"] for z in c.zones)]
    if subject.get("counter"):
        return [c.id for c in site.cameras if any(z.counter == subject["counter"] for z in c.zones)]
    return []


def evidence_name(saved_at: float, rule: str, camera: str, key: str) -> str:
    """Return the file name of one picture; rule ids like 'long_queue:waiting' become file-safe.

    >>> evidence_name(1760000000.5, "long_queue:waiting", "hall-1", "ab" * 32)
    '1760000000_long_queue-waiting_hall-1_abababababab.jpg'
    """
    safe_rule = _UNSAFE.sub("-", rule).strip("-") or "rule"
    return f"{int(saved_at)}_{safe_rule}_{_UNSAFE.sub('-', camera)}_{key[:12]}.jpg"


def saved_at_of(path: Path) -> float | None:
    """Return the saving time written in an evidence file name, None for a name we did not write."""
    m = _NAME_RE.match(path.name)
    return float(m.group(1)) if m else None


def expired(entries: Iterable[tuple[Path, float]], now: float, retention_s: float) -> list[Path]:
    """Return the paths whose saving time is more than retention_s before now (pure; no clock, no I/O)."""
    return [p for p, saved in entries if now - saved > retention_s]


class EvidenceStore:
    """Writes and purges evidence pictures under ``root`` (``<state_dir>/evidence``)."""

    def __init__(self, root: Path) -> None:
        """Use ``root``; it is created (0700) on the first save."""
        self.root = Path(root)

    def save(self, image: np.ndarray, *, site: str, camera: str, rule: str, key: str, saved_at: float,
             quality: int = 80) -> Path:
        """Write an already-blurred BGR picture atomically (0600) and return its path."""
        day = dt.datetime.fromtimestamp(saved_at, dt.UTC).strftime("%Y-%m-%d")
        folder = self.root / _UNSAFE.sub("-", site) / day
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in (self.root, self.root / _UNSAFE.sub("-", site), folder):
            os.chmod(d, 0o700)  # mkdir's mode is masked by the umask; these folders must stay private
        data = encode_jpeg(image, quality)
        path = folder / evidence_name(saved_at, rule, camera, key)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".jpg")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # a crash mid-write leaves a .tmp- file (purged later), never half a picture
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def files(self) -> list[tuple[Path, float]]:
        """Return every evidence file with its saving time (files we did not name use their mtime)."""
        if not self.root.is_dir():
            return []
        out = []
        for path in self.root.rglob("*"):
            if path.is_file():
                saved = saved_at_of(path)
                if saved is None:
                    try:
                        saved = path.stat().st_mtime
                    except OSError:
                        continue  # removed meanwhile
                out.append((path, saved))
        return out

    def purge(self, now: float, retention_s: float) -> int:
        """Delete pictures older than the retention period and the folders left empty; return how many."""
        removed = 0
        for path in expired(self.files(), now, retention_s):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        if self.root.is_dir():
            # Deepest first, so a day folder emptied now lets its site folder go too.
            for folder in sorted((p for p in self.root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                try:
                    folder.rmdir()
                except OSError:
                    pass  # not empty
        if removed:
            log.info("evidence pictures deleted after their retention period",
                     extra={"count": removed, "retention_s": retention_s})
        return removed


def record_evidence(store: EvidenceStore, cfg: EvidenceConfig, site: SiteConfig, notes: Iterable[Notification],
                    picture: Callable[[str], np.ndarray | None], now: float) -> list[Path]:
    """Save the pictures the notifications call for; ``picture(camera_id)`` gives a blurred current frame.

    A failed write is logged and skipped: evidence must never hold back alerting.
    """
    saved = []
    for n in notes:
        if not wants_evidence(cfg, n.kind, n.rule, n.status, n.seq):
            continue
        for camera in cameras_for(n.subject, site):
            image = picture(camera)
            if image is None:
                continue
            try:
                path = store.save(image, site=site.id, camera=camera, rule=n.rule, key=n.key, saved_at=now,
                                  quality=cfg.quality)
            except Exception:
                log.exception("evidence picture not saved", extra={"camera": camera, "rule": n.rule})
                continue
            log.info("evidence picture saved", extra={"camera": camera, "rule": n.rule, "key": n.key,
                                                      "path": str(path)})
            saved.append(path)
    return saved

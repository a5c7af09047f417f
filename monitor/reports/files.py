"""Report files kept for download: written atomically under <state_dir>/reports/, served by signed, expiring links.

A link is ``<public_url>/api/v1/reports/files/<name>?expires=<unix>&sig=<hex>`` with
``sig = HMAC-SHA256(key, name + newline + expires)``. The key comes from ``reports.link_secret_env``, else from a
random key created once in ``<state_dir>/reports/.link-key`` (mode 0600). Files are deleted once their links have
expired.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPORTS_DIR = "reports"
KEY_FILE = ".link-key"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.(xlsx|csv|json)$")


class LinkError(ValueError):
    """A download link is malformed, expired or wrongly signed (the message says which, never the key)."""


@dataclass(frozen=True)
class StoredFile:
    """A report file on disk with its download link."""

    name: str
    path: Path
    size: int
    sha256: str
    url: str
    expires: int


class ReportFiles:
    """The folder of report files and the key that signs their links."""

    def __init__(self, state_dir: Path, secret: str | None = None) -> None:
        """Use ``<state_dir>/reports``; ``secret`` (from the environment) or the stored random key signs links."""
        self.dir = Path(state_dir) / REPORTS_DIR
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._key = secret.encode("utf-8") if secret else self._stored_key()

    def _stored_key(self) -> bytes:
        path = self.dir / KEY_FILE
        try:
            return bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError):
            pass
        key = secrets.token_bytes(32)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return bytes.fromhex(path.read_text().strip())  # another process may have won the race: use its key

    @staticmethod
    def check_name(name: str) -> None:
        """Refuse names that are not plain report file names (no paths, known extensions only)."""
        if not _NAME_RE.match(name):
            raise LinkError("not a report file name")

    def save(self, name: str, data: bytes) -> Path:
        """Write a file atomically (temporary file, fsync, rename) and return its path."""
        self.check_name(name)
        path = self.dir / name
        tmp = self.dir / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    def signature(self, name: str, expires: int) -> str:
        """Return the hex HMAC of a file name and expiry time."""
        return hmac.new(self._key, f"{name}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def link(self, base_url: str, name: str, expires: int) -> str:
        """Return the signed download URL of a file."""
        self.check_name(name)
        return (f"{base_url.rstrip('/')}/api/v1/reports/files/{quote(name)}?expires={expires}"
                f"&sig={self.signature(name, expires)}")

    def store(self, name: str, data: bytes, base_url: str, lifetime_s: float, now: float) -> StoredFile:
        """Save a file and return it with a link valid for ``lifetime_s``."""
        path = self.save(name, data)
        expires = int(now + lifetime_s)
        return StoredFile(name, path, len(data), hashlib.sha256(data).hexdigest(),
                          self.link(base_url, name, expires), expires)

    def open_signed(self, name: str, expires: int, sig: str, now: float | None = None) -> Path:
        """Return the path of a file if the link is valid now; LinkError otherwise (checked in constant time)."""
        self.check_name(name)
        if not hmac.compare_digest(self.signature(name, expires), sig):
            raise LinkError("wrong signature")
        if (time.time() if now is None else now) > expires:
            raise LinkError("link expired")
        path = self.dir / name
        if not path.is_file():
            raise LinkError("file no longer kept")
        return path

    def purge(self, older_than_s: float, now: float) -> int:
        """Delete report files older than ``older_than_s`` (their links have expired); return how many."""
        n = 0
        for p in self.dir.iterdir():
            if p.name.startswith(".") or not p.is_file():
                continue
            try:
                if now - p.stat().st_mtime > older_than_s:
                    p.unlink()
                    n += 1
            except OSError:
                continue
        return n

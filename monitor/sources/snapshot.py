"""HTTP(S) JPEG snapshot cameras, polled once per sample interval with httpx."""

from __future__ import annotations

import time
from urllib.parse import unquote

import httpx
import numpy as np

from .. import __version__
from ..config import CameraConfig
from ..redact import strip_userinfo
from .base import CameraSource, SourceError
from .health import SourceOptions
from .image import decode_image


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """Return the URL without user info, and (user, password) percent-decoded if it had any."""
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return url, None
    user, _, password = parsed.userinfo.decode().partition(":")
    return strip_userinfo(url), (unquote(user), unquote(password))


class SnapshotSource(CameraSource):
    """A camera's JPEG snapshot URL (e.g. /ISAPI/Streaming/channels/101/picture, /cgi-bin/snapshot.cgi).

    Each poll is one GET, read in chunks and abandoned past max_body_bytes. Basic auth is sent up front;
    a 401 that asks for Digest (Hikvision, Dahua) switches to Digest for the rest of the session.
    """

    def __init__(self, camera: CameraConfig, options: SourceOptions | None = None) -> None:
        super().__init__(camera, options)
        # httpx gets the URL without user:password, so nothing it raises or logs can contain them.
        self._url, self._credentials = split_credentials(camera.url)
        self._auth: httpx.Auth | None = httpx.BasicAuth(*self._credentials) if self._credentials else None

    def _session(self) -> None:
        o = self.options
        timeout = httpx.Timeout(connect=o.open_timeout, read=o.read_timeout, write=o.read_timeout,
                                pool=o.read_timeout)
        headers = {"User-Agent": f"onestop-monitor/{__version__}", "Accept": "image/jpeg, image/*"}
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
            next_due = time.monotonic()
            while not self._stopping():
                image = self._fetch(client)
                h, w = image.shape[:2]
                self._offer(lambda image=image: image, w, h, None)  # type: ignore[misc]  # fresh array per poll
                next_due += self.camera.sample_every
                now = time.monotonic()
                if next_due < now:  # a slow camera: skip the missed polls rather than fire them back to back
                    next_due = now + self.camera.sample_every
                if not self._sleep(next_due - now):
                    return

    def _fetch(self, client: httpx.Client) -> np.ndarray:
        try:
            body, ctype = self._get(client)
        except httpx.TimeoutException:
            raise SourceError("timeout", f"no answer within {self.options.read_timeout:.0f} s") from None
        except httpx.ConnectError as exc:
            raise SourceError("connect", f"cannot connect: {exc}") from None
        except httpx.HTTPError as exc:
            raise SourceError("io", f"{type(exc).__name__}: {exc}") from None
        return decode_image(body, what="snapshot", content_type=ctype)

    def _get(self, client: httpx.Client) -> tuple[bytes, str | None]:
        cap = self.options.max_body_bytes
        for attempt in range(2):
            with client.stream("GET", self._url, auth=self._auth) as r:
                if (r.status_code == 401 and attempt == 0 and self._credentials
                        and r.headers.get("www-authenticate", "").lower().startswith("digest")
                        and not isinstance(self._auth, httpx.DigestAuth)):
                    self._auth = httpx.DigestAuth(*self._credentials)
                    continue
                if r.status_code >= 400:
                    raise SourceError(f"http_{r.status_code}", f"HTTP {r.status_code} {r.reason_phrase}")
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise SourceError("too_large", f"body of {declared} bytes is over the {cap} byte cap")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > cap:
                        # Stop reading: an endless body (a video URL set as a snapshot) must not fill memory.
                        raise SourceError("too_large", f"body is over the {cap} byte cap")
                return bytes(body), r.headers.get("content-type")
        raise SourceError("http_401", "HTTP 401 Unauthorized (digest)")

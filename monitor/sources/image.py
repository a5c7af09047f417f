"""Still pictures: checking and decoding JPEG/PNG bytes, and a source that re-serves one local image."""

from __future__ import annotations

import struct
import time

import cv2
import numpy as np

from .avtools import local_path
from .base import CameraSource, SourceError
from .decode import size_problem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"
# SOFn markers carry the picture size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_kind(data: bytes) -> str | None:
    """Return 'jpeg', 'png', 'bmp' or 'webp' from the magic bytes, None for anything else (HTML, JSON...)."""
    if data.startswith(_JPEG):
        return "jpeg"
    if data.startswith(_PNG):
        return "png"
    if data.startswith(b"BM") and len(data) > 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) from a JPEG's frame header without decoding it, None if none is found."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def declared_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """Return the size written in a JPEG or PNG header, so absurd sizes are refused before decoding."""
    if kind == "jpeg":
        return jpeg_size(data)
    if kind == "png" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


def truncated(data: bytes, kind: str) -> bool:
    """Return True when a JPEG lacks its end marker or a PNG its IEND chunk.

    OpenCV decodes a cut JPEG without complaint and paints the missing part grey, which would feed the
    detector half a picture; so completeness is checked on the bytes. Trailing padding (some cameras) is fine.
    """
    tail = data.rstrip(b"\x00\r\n\t ")
    if kind == "jpeg":
        return not tail.endswith(b"\xff\xd9")
    if kind == "png":
        return b"IEND" not in tail[-12:]
    return False


def decode_image(data: bytes, what: str = "body", content_type: str | None = None) -> np.ndarray:
    """Return the BGR picture in data; raise SourceError not_image, bad_size or decode.

    >>> decode_image(b"<html>login</html>", content_type="text/html")
    Traceback (most recent call last):
    ...
    monitor.sources.base.SourceError: not_image: body is not a picture (content-type text/html)
    """
    kind = image_kind(data)
    if kind is None:
        ctype = f" (content-type {content_type})" if content_type else ""
        raise SourceError("not_image", f"{what} is not a picture{ctype}")
    size = declared_size(data, kind)
    if size is not None and (problem := size_problem(*size)):
        raise SourceError("bad_size", problem)
    if truncated(data, kind):
        raise SourceError("decode", f"{what}: {kind} is truncated ({len(data)} bytes)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError("decode", f"{what}: {kind} cannot be decoded ({len(data)} bytes)")
    if problem := size_problem(image.shape[1], image.shape[0]):
        raise SourceError("bad_size", problem)
    return image


class ImageSource(CameraSource):
    """A local still image, loaded once and served as a fresh frame every sample interval (demos, tests)."""

    def _session(self) -> None:
        path = local_path(self.camera.url)
        try:
            with open(path, "rb") as fh:
                data = fh.read(self.options.max_body_bytes + 1)
        except FileNotFoundError:
            raise SourceError("not_found", f"no such image file: {path}") from None
        except OSError as exc:
            raise SourceError("io", f"cannot read {path}: {exc.strerror}") from None
        if len(data) > self.options.max_body_bytes:
            raise SourceError("too_large", f"{path} is larger than {self.options.max_body_bytes} bytes")
        image = decode_image(data, what=path)
        h, w = image.shape[:2]
        next_due = time.monotonic()
        while not self._stopping():
            # A copy per frame: consumers may draw on their frame, and must not change the next one.
            self._offer(image.copy, w, h, None)
            next_due += self.camera.sample_every
            if not self._sleep(next_due - time.monotonic()):
                return

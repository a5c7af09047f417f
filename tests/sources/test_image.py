"""Still pictures: JPEG/PNG checks before decoding, and the local image source."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.config import CameraConfig
from monitor.sources import ImageSource, SourceError, SourceOptions, decode_image, grab_frame, open_source
from monitor.sources.image import image_kind, jpeg_size
from tests.sources.conftest import CLASSROOM_JPEG
from tests.support.http_camera import patch_size
from tests.support.paths import CLASSROOM


def classroom_size(name: str) -> tuple[int, int]:
    for line in (CLASSROOM / "counts.csv").read_text().splitlines()[1:]:
        image, w, h, _ = line.split(",")
        if image.startswith(name):
            return int(w), int(h)
    raise LookupError(name)


def test_jpeg_header_size_matches_the_dataset(jpeg: bytes) -> None:
    assert image_kind(jpeg) == "jpeg"
    assert jpeg_size(jpeg) == classroom_size(CLASSROOM_JPEG.stem)


def test_decode_real_jpeg_and_png(jpeg: bytes) -> None:
    image = decode_image(jpeg)
    assert image.shape[1::-1] == classroom_size(CLASSROOM_JPEG.stem) and image.shape[2] == 3
    ok, png = cv2.imencode(".png", image)
    assert ok and np.array_equal(decode_image(png.tobytes()), image)


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda b: b[: len(b) // 2], "decode"),                  # cut JPEG: OpenCV would paint the rest grey
    (lambda b: b[:-2] + b"\0\0", "decode"),                   # end marker lost
    (lambda b: b"<html><body>Unauthorized</body></html>", "not_image"),
    (lambda b: b"", "not_image"),
    (lambda b: b"\xff\xd8\xff" + b"\x13" * 500 + b"\xff\xd9", "decode"),  # JPEG magic, garbage inside
])
def test_broken_bytes(jpeg: bytes, mutate, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError) as info:
        decode_image(mutate(jpeg))
    assert info.value.reason == reason


def test_trailing_padding_after_jpeg_end_is_accepted(jpeg: bytes) -> None:
    assert decode_image(jpeg + b"\r\n\0\0").shape[2] == 3


def test_oversized_and_empty_headers_are_refused_before_decoding(jpeg: bytes) -> None:
    with pytest.raises(SourceError) as info:
        decode_image(patch_size(jpeg, 9000, 9000))
    assert info.value.reason == "bad_size" and "9000x9000" in info.value.message
    ok, png = cv2.imencode(".png", decode_image(jpeg))
    data = bytearray(png.tobytes())
    data[16:24] = struct.pack(">II", 0, 0)  # IHDR width/height
    with pytest.raises(SourceError) as info:
        decode_image(bytes(data))
    assert info.value.reason == "bad_size" and "empty" in info.value.message


def test_image_source_serves_fresh_copies(jpeg: bytes) -> None:
    src = open_source(CameraConfig(id="still", url=str(CLASSROOM_JPEG), sample_every=0.05))
    assert isinstance(src, ImageSource)
    src.start()
    try:
        a = src.wait_frame(10)
        assert a is not None
        b = src.wait_frame(10, newer_than=a.seq)
        assert b is not None
    finally:
        assert src.stop(5)
    assert b.seq > a.seq and b.ts >= a.ts
    # Same picture, separate arrays: a consumer drawing on one frame leaves the next one clean.
    assert np.array_equal(a.image, b.image) and a.image is not b.image
    assert np.array_equal(a.image, decode_image(jpeg))
    st = src.status()
    assert st.frames >= 2 and st.errors == {} and not st.up


def test_missing_and_non_image_files(tmp_path: Path) -> None:
    opts = SourceOptions(backoff_initial=0.1)
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="x", url=str(tmp_path / "nope.jpg")), timeout=5, options=opts)
    assert info.value.reason == "not_found"
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(SourceError) as info:
        grab_frame(CameraConfig(id="x", url=str(text)), timeout=5, options=opts)
    assert info.value.reason == "not_image"

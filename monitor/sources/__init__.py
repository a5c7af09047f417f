"""Camera sources stage: streams, snapshots, files and images read on their own threads into latest frames."""

from .base import CameraSource, Frame, SourceError
from .decode import (
    DecodeMode,
    DecodePolicy,
    KeyframeClock,
    StallWatch,
    VideoTimeSampler,
    choose_decode_mode,
    size_problem,
)
from .factory import grab_frame, guess_type, open_source
from .file import FileSource
from .health import REASONS, Backoff, SourceOptions, SourceStatus
from .image import ImageSource, decode_image
from .replay import iter_video
from .snapshot import SnapshotSource
from .stream import StreamSource

__all__ = [
    "REASONS", "Backoff", "CameraSource", "DecodeMode", "DecodePolicy", "FileSource", "Frame", "ImageSource",
    "KeyframeClock", "SnapshotSource", "SourceError", "SourceOptions", "SourceStatus", "StallWatch", "StreamSource",
    "VideoTimeSampler", "choose_decode_mode", "decode_image", "grab_frame", "guess_type", "iter_video", "open_source",
    "size_problem",
]

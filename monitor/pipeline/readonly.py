"""What readers (the API and the console's pages through it) may see of the running pipeline: a Protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..config import CameraConfig
from ..detect.detections import Detections
from ..sources import Frame
from ..state.model import SiteSnapshot


@dataclass(frozen=True)
class LastSample:
    """An analysed frame, kept in memory only: the picture, what the models found, people per zone."""

    frame: Frame
    detections: dict[str, Detections]
    counts: dict[str, int]


@dataclass(frozen=True)
class CameraSample:
    """A running camera as readers see it: its site, its config and its last analysed sample (None before one)."""

    site: str
    camera: CameraConfig
    last: LastSample | None


@dataclass(frozen=True)
class Readiness:
    """Whether the pipeline can serve: the models are loaded and the engine has started."""

    model: bool
    running: bool


@dataclass(frozen=True)
class Applied:
    """One analysed sample as the inference worker applied it (for benchmarks and probes)."""

    camera: str
    frame_ts: float  # unix time the frame was captured
    applied_at: float  # unix time its counts reached the site's state (after the whole batch)
    waited_s: float | None  # queued -> applied, None when it was not taken from the queue
    batch: int  # frames analysed together with it


SampleObserver = Callable[[Applied], None]


class PipelineView(Protocol):
    """The read-only face of the running pipeline; routes never reach past it.

    Example: ``view.camera("hall-1")`` gives the camera's config and last sample, ``view.snapshots()`` every
    site's latest state.
    """

    def snapshots(self) -> list[SiteSnapshot]:
        """Return the latest snapshot of every site."""
        ...

    def camera(self, camera_id: str) -> CameraSample | None:
        """Return a running camera with its last sample, None for a camera this process does not run."""
        ...

    def ready(self) -> Readiness:
        """Return whether the models are loaded and the engine runs."""
        ...

    def detector_kinds(self) -> set[str]:
        """Return the detector kinds loaded in this process ('person', 'head')."""
        ...

    def analyse_still(self, camera: CameraConfig, image: np.ndarray, pts: float | None) -> LastSample:
        """Analyse one picture with the camera's models and zones, outside the pipeline (changes no state)."""
        ...

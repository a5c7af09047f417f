"""Count-accuracy maths for eval-counts: MAE, mean signed error, relative MAE, worst images, ms per frame."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CountResult:
    """One image: the true count, the predicted count and how long the prediction took."""

    image: str
    true: int
    predicted: int
    seconds: float = 0.0

    @property
    def error(self) -> int:
        """Return predicted minus true (negative = people missed)."""
        return self.predicted - self.true


@dataclass(frozen=True)
class CountSummary:
    """Accuracy of one counting mode over a set of images.

    mae: mean |predicted - true|; bias: mean (predicted - true), negative when the mode undercounts;
    relative_mae: mae / mean true count (the issue's headline figure); rmse: root mean squared error;
    ms_per_frame: mean and median wall time per image.
    """

    images: int
    mean_true: float
    mean_predicted: float
    mae: float
    bias: float
    relative_mae: float
    rmse: float
    ms_per_frame: float
    ms_per_frame_median: float

    def as_dict(self) -> dict[str, float | int]:
        """Return the figures as a JSON-ready dict (rounded for reading)."""
        return {"images": self.images, "mean_true": round(self.mean_true, 3),
                "mean_predicted": round(self.mean_predicted, 3), "mae": round(self.mae, 3),
                "bias": round(self.bias, 3), "relative_mae": round(self.relative_mae, 4),
                "rmse": round(self.rmse, 3), "ms_per_frame": round(self.ms_per_frame, 1),
                "ms_per_frame_median": round(self.ms_per_frame_median, 1)}


def _median(values: Sequence[float]) -> float:
    """Return the median of a non-empty sequence."""
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def summarize(results: Sequence[CountResult]) -> CountSummary:
    """Return the accuracy figures of a set of per-image results.

    Relative MAE is MAE over the mean true count (not the mean of per-image relative errors, which explodes
    on near-empty images); it is ``inf`` when every true count is zero and some prediction is not.

    >>> summarize([CountResult("a", 10, 8), CountResult("b", 30, 33)]).relative_mae
    0.125
    """
    if not results:
        raise ValueError("no images to evaluate")
    n = len(results)
    errors = [r.error for r in results]
    mean_true = sum(r.true for r in results) / n
    mae = sum(abs(e) for e in errors) / n
    if mean_true > 0:
        rel = mae / mean_true
    else:
        rel = 0.0 if mae == 0 else math.inf
    ms = [r.seconds * 1000.0 for r in results]
    return CountSummary(images=n, mean_true=mean_true, mean_predicted=sum(r.predicted for r in results) / n,
                        mae=mae, bias=sum(errors) / n, relative_mae=rel,
                        rmse=math.sqrt(sum(e * e for e in errors) / n),
                        ms_per_frame=sum(ms) / n, ms_per_frame_median=_median(ms))


def worst(results: Iterable[CountResult], k: int) -> list[CountResult]:
    """Return the k results with the largest absolute error (ties: larger true count, then image name)."""
    return sorted(results, key=lambda r: (-abs(r.error), -r.true, r.image))[:max(k, 0)]


def best_threshold(confidences: Sequence[Sequence[float]], truths: Sequence[int],
                   candidates: Sequence[float]) -> tuple[float, float]:
    """Return the (threshold, MAE) among ``candidates`` that minimises the count MAE (ties: the lower one).

    ``confidences[i]`` holds the scores of every detection of image i (found at a threshold at or below the
    lowest candidate), so a sweep needs one model pass. Use it on a validation split only.

    >>> best_threshold([[0.9, 0.5, 0.2], [0.8, 0.3]], [2, 1], [0.1, 0.4, 0.6])
    (0.4, 0.0)
    """
    if len(confidences) != len(truths) or not truths:
        raise ValueError("need one list of confidences per true count, and at least one image")
    best: tuple[float, float] | None = None
    for t in sorted(candidates):
        total = sum(abs(sum(1 for c in cs if c >= t) - y) for cs, y in zip(confidences, truths, strict=True))
        mae = total / len(truths)
        if best is None or mae < best[1] - 1e-12:
            best = (float(t), mae)
    if best is None:
        raise ValueError("no candidate thresholds")
    return best

"""The one way to list and remove labelled metric series: through prometheus-client's public collect()."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from prometheus_client.metrics import MetricWrapperBase

from ..config import AppConfig
from .registry import Metrics

# Labels prometheus-client adds to samples of histograms and summaries; they are not the metric's own labels.
_SAMPLE_LABELS = frozenset({"le", "quantile"})
_KEY_LABELS = ("site", "province", "camera", "zone", "kind", "counter")


class _Removable(Protocol):
    def remove(self, *labelvalues: str) -> None: ...


def series(metric: MetricWrapperBase) -> list[dict[str, str]]:
    """Return the label sets of a metric's series, in the metric's label order (none for an unlabelled metric).

    Read from ``collect()``, the client library's public output, so no private field is touched; it costs one
    pass over the metric's samples, which is fine for reloads and removals (not for every tick).
    """
    seen: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for family in metric.collect():
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k not in _SAMPLE_LABELS}
            if labels:
                seen.setdefault(tuple(labels.items()), labels)
    return list(seen.values())


def remove(metric: _Removable, labels: Sequence[str]) -> None:
    """Remove one series by its label values; a series that does not exist is no error."""
    try:
        metric.remove(*labels)
    except KeyError:  # prometheus-client before 0.20 raised for a missing series
        pass


def remove_series(metric: MetricWrapperBase, drop: Callable[[Mapping[str, str]], bool]) -> int:
    """Remove every series whose labels ``drop`` selects; return how many were removed."""
    doomed = [labels for labels in series(metric) if drop(labels)]
    for labels in doomed:
        remove(metric, list(labels.values()))
    return len(doomed)


def prune_series(metrics: Metrics, cfg: AppConfig) -> int:
    """Remove labelled series of sites, cameras, zones and counters ``cfg`` no longer has; return how many.

    A series is kept when its site/camera/zone/kind/counter labels match something in ``cfg`` (disabled cameras
    included: their health is still published). Series without a ``site`` label (model, webhook target) stay.
    """
    sites = [{"site": s.id, "province": s.province} for s in cfg.sites]
    cameras = [{"site": s.id, "camera": c.id} for s in cfg.sites for c in s.cameras]
    zones = [{"site": s.id, "camera": c.id, "zone": z.id, "kind": z.kind, "counter": z.counter or ""}
             for s in cfg.sites for c in s.cameras for z in c.zones]
    counters = [{"site": s.id, "counter": c.id} for s in cfg.sites for c in s.counters]
    removed = 0
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        children = series(metric)
        if not children or "site" not in children[0]:
            continue
        keys = [n for n in children[0] if n in _KEY_LABELS]
        pool = zones if "zone" in keys else cameras if "camera" in keys else counters if "counter" in keys \
            else sites
        live = {tuple(r.get(k) for k in keys) for r in pool}
        removed += remove_series(metric, lambda labels: tuple(labels[k] for k in keys) not in live)  # noqa: B023
    return removed

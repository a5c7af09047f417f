"""Sharding by site: which sites one process of N runs (rendezvous hashing), and the plan of a province."""

from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import dataclass

from .app import AppConfig
from .site import SiteConfig

_SPEC = re.compile(r"^\s*(\d+|ordinal)\s*/\s*(\d+)\s*$")
_ORDINAL = re.compile(r"-(\d+)$")
#: Highest shard count accepted: far more than a province needs, low enough to catch a typo like 1/10000.
MAX_SHARDS = 256

# Load estimate per sample and per camera, from the README's benchmark of 2026-12-02 (runtime install, 2-core
# EPYC, bundled OpenVINO yolo11n-pose, 1280x720 H.264 RTSP, keyframe decoding): 43-45 ms of CPU per sample; RSS
# ~300 MB after the model loads + 17-21 MB per camera. 640x360 substreams cost less (34-38 ms, 6-9 MB).
CPU_S_PER_SAMPLE = 0.044
RSS_BASE_MB = 300.0
RSS_PER_CAMERA_MB = 19.0


class ShardError(ValueError):
    """A shard spec that cannot be used (bad syntax, index out of range, no ordinal in the hostname)."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``: the part of the sites one process runs."""

    index: int
    count: int

    def __str__(self) -> str:
        """Return the 'I/N' form."""
        return f"{self.index}/{self.count}"


def parse_shard(spec: str, hostname: str | None = None) -> Shard:
    """Parse 'I/N' or 'ordinal/N' (the StatefulSet pod ordinal: the number ending the hostname, 'x-2' -> 2).

    >>> parse_shard("1/3")
    Shard(index=1, count=3)
    >>> parse_shard("ordinal/4", hostname="onestop-monitor-2")
    Shard(index=2, count=4)
    """
    m = _SPEC.match(spec)
    if m is None:
        raise ShardError(f"shard {spec!r} must be 'I/N' (0 <= I < N, e.g. 0/3) or 'ordinal/N' (I from the "
                         f"hostname of a StatefulSet pod, e.g. onestop-monitor-2)")
    count = int(m.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"shard {spec!r}: N must be between 1 and {MAX_SHARDS}")
    if m.group(1) == "ordinal":
        host = hostname if hostname is not None else socket.gethostname()
        found = _ORDINAL.search(host)
        if found is None:
            raise ShardError(f"shard {spec!r}: hostname {host!r} does not end in '-<ordinal>' (a StatefulSet pod "
                             f"name); give the index instead, e.g. 0/{count}")
        index = int(found.group(1))
    else:
        index = int(m.group(1))
    if index >= count:
        raise ShardError(f"shard {spec!r}: index {index} is not below the shard count {count}")
    return Shard(index, count)


def _weight(site_id: str, shard: int) -> int:
    # A stable hash (Python's hash() is salted per process): every shard computes the same assignment.
    return int.from_bytes(hashlib.blake2b(f"{site_id}\x00{shard}".encode(), digest_size=8).digest(), "big")


def shard_of(site_id: str, count: int) -> int:
    """Return the shard that runs a site: the one with the highest hash weight (rendezvous hashing).

    Going from N to N+1 shards moves only the sites whose new highest weight is shard N, ~1/(N+1) of them;
    every other site stays where it was, with its state directory's outbox and history.
    """
    return max(range(count), key=lambda i: _weight(site_id, i))


def sites_for(sites: list[SiteConfig], shard: Shard) -> list[SiteConfig]:
    """Return the sites (in config order) that this shard runs."""
    return [s for s in sites if shard_of(s.id, shard.count) == shard.index]


def select_shard(cfg: AppConfig, shard: Shard) -> AppConfig:
    """Return the config with only this shard's sites (everything else unchanged)."""
    return cfg.model_copy(update={"sites": sites_for(cfg.sites, shard)})


@dataclass(frozen=True)
class ShardPlan:
    """What one shard runs and the load it is expected to carry."""

    index: int
    sites: list[str]
    cameras: int
    samples_per_s: float

    @property
    def cpu_cores(self) -> float:
        """Return the estimated CPU cores (2-core EPYC figures, 720p streams, OpenVINO)."""
        return self.samples_per_s * CPU_S_PER_SAMPLE

    @property
    def rss_mb(self) -> float:
        """Return the estimated resident memory in MB."""
        return RSS_BASE_MB + RSS_PER_CAMERA_MB * self.cameras


def plan(cfg: AppConfig, count: int) -> list[ShardPlan]:
    """Return the plan of ``count`` shards: sites, enabled cameras and samples per second of each."""
    out = []
    for index in range(count):
        sites = sites_for(cfg.sites, Shard(index, count))
        cams = [c for s in sites for c in s.cameras if c.enabled]
        out.append(ShardPlan(index, [s.id for s in sites], len(cams), sum(1.0 / c.sample_every for c in cams)))
    return out


def format_plan(plans: list[ShardPlan], *, list_sites: bool = True) -> list[str]:
    """Render a plan as text lines: one per shard, then the totals."""
    lines = []
    for p in plans:
        sites = f": {', '.join(p.sites)}" if list_sites and p.sites else ""
        lines.append(f"shard {p.index}/{len(plans)}: {len(p.sites)} site(s), {p.cameras} camera(s), "
                     f"{p.samples_per_s:.1f} samples/s, ~{p.cpu_cores:.1f} CPU cores, ~{p.rss_mb:.0f} MB{sites}")
    total_sites = sum(len(p.sites) for p in plans)
    total_cams = sum(p.cameras for p in plans)
    busiest = max(plans, key=lambda p: p.samples_per_s)
    lines.append(f"total: {total_sites} site(s), {total_cams} camera(s), "
                 f"{sum(p.samples_per_s for p in plans):.1f} samples/s; busiest shard {busiest.index} "
                 f"(~{busiest.cpu_cores:.1f} cores); estimates from the 2-core benchmark (README 'Benchmark')")
    return lines

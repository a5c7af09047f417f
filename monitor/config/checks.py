"""Cross-field checks, each a small function returning the problems it finds with their paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..redact import url_secrets
from .app import AppConfig
from .site import DAY_NAMES, SiteConfig, parse_days, parse_span
from .zone import ZoneConfig

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """A config error (or warning) at a path such as ('sites', 0, 'cameras', 1, 'zones', 2, 'counter')."""

    loc: Loc
    message: str
    warning: bool = False


def _segments_cross(p1: tuple[float, float], p2: tuple[float, float],
                    q1: tuple[float, float], q2: tuple[float, float]) -> bool:
    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def on_seg(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return any(d == 0 and on_seg(a, b, c) for d, a, b, c in
               ((d1, q1, q2, p1), (d2, q1, q2, p2), (d3, p1, p2, q1), (d4, p1, p2, q2)))


def polygon_problems(points: list[tuple[float, float]]) -> list[str]:
    """Return what is wrong with a normalised polygon: too few points, out of range, self-intersecting, no area."""
    out: list[str] = []
    if len(points) < 3:
        return [f"a polygon needs at least 3 points, got {len(points)}"]
    bad = [i for i, (x, y) in enumerate(points) if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)]
    if bad:
        out.append(f"point(s) {bad} outside 0..1 (coordinates are fractions of frame width/height)")
    area2 = sum(points[i][0] * points[(i + 1) % len(points)][1] - points[(i + 1) % len(points)][0] * points[i][1]
                for i in range(len(points)))
    if abs(area2) < 1e-9:
        out.append("polygon has no area")
    n = len(points)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbouring edges share a vertex by construction
            if _segments_cross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]):
                out.append(f"polygon edges {i} and {j} cross (self-intersecting)")
                return out
    return out


def _duplicates(items: Iterable[tuple[Loc, str]], what: str) -> list[Problem]:
    seen: dict[str, Loc] = {}
    out = []
    for loc, ident in items:
        if ident in seen:
            out.append(Problem(loc, f"duplicate {what} id {ident!r} (first at {'.'.join(map(str, seen[ident]))})"))
        else:
            seen[ident] = loc
    return out


def check_unique_ids(cfg: AppConfig) -> list[Problem]:
    """Site and camera ids are unique in the file; counter, zone, webhook and rule ids within a site."""
    out = _duplicates(((("sites", i, "id"), s.id) for i, s in enumerate(cfg.sites)), "site")
    out += _duplicates(((("sites", i, "cameras", j, "id"), c.id)
                        for i, s in enumerate(cfg.sites) for j, c in enumerate(s.cameras)), "camera")
    for i, s in enumerate(cfg.sites):
        out += _duplicates(((("sites", i, "counters", j, "id"), c.id) for j, c in enumerate(s.counters)), "counter")
        out += _duplicates(((("sites", i, "cameras", j, "zones", k, "id"), z.id)
                            for j, c in enumerate(s.cameras) for k, z in enumerate(c.zones)), "zone")
        out += _duplicates(((("sites", i, "alerts", "webhooks", j, "id"), w.id)
                            for j, w in enumerate(s.alerts.webhooks)), "webhook")
        out += _duplicates(((("sites", i, "alerts", "rules", j), rule_id(r))
                            for j, r in enumerate(s.alerts.rules)), "rule")
    return out


def rule_id(rule: object) -> str:
    """Return a rule's id, defaulting to '<kind>:<subject>'."""
    explicit = getattr(rule, "id", None)
    if explicit:
        return str(explicit)
    subject = next(getattr(rule, f) for f in ("zone", "counter", "camera") if hasattr(rule, f))
    return f"{rule.kind}:{subject}"  # type: ignore[attr-defined]


def check_zones(cfg: AppConfig) -> list[Problem]:
    """Zones name existing counters (required for service/staff) and have valid polygons."""
    out = []
    for i, s in enumerate(cfg.sites):
        counters = {c.id for c in s.counters}
        for j, cam in enumerate(s.cameras):
            for k, z in enumerate(cam.zones):
                loc: Loc = ("sites", i, "cameras", j, "zones", k)
                if z.counter is not None and z.counter not in counters:
                    out.append(Problem(loc + ("counter",), f"unknown counter {z.counter!r}; "
                                       f"counters of site {s.id!r}: {sorted(counters) or 'none'}"))
                if z.kind in ("service", "staff") and z.counter is None:
                    out.append(Problem(loc + ("counter",), f"a {z.kind} zone must name its counter"))
                out += [Problem(loc + ("polygon",), msg) for msg in polygon_problems(z.polygon)]
    return out


def _site_refs(s: SiteConfig, i: int) -> list[Problem]:
    zones = {z.id: z for c in s.cameras for z in c.zones}
    counters = {c.id for c in s.counters}
    cameras = {c.id for c in s.cameras}
    out = []
    ids = set()
    for j, r in enumerate(s.alerts.rules):
        loc: Loc = ("sites", i, "alerts", "rules", j)
        ids.add(rule_id(r))
        ids.add(r.kind)
        if r.kind == "long_queue":
            if r.zone not in zones:
                out.append(Problem(loc + ("zone",), f"unknown zone {r.zone!r}"))
            elif zones[r.zone].kind != "queue":
                out.append(Problem(loc + ("zone",), f"zone {r.zone!r} is a {zones[r.zone].kind} zone, not a queue"))
        elif r.kind in ("counter_unstaffed", "long_service") and r.counter not in counters:
            out.append(Problem(loc + ("counter",), f"unknown counter {r.counter!r}"))
        elif r.kind in ("camera_down", "camera_moved") and r.camera not in cameras:
            out.append(Problem(loc + ("camera",), f"unknown camera {r.camera!r} in site {s.id!r}"))
    for j, w in enumerate(s.alerts.webhooks):
        for k, name in enumerate(w.rules or []):
            if name not in ids:
                out.append(Problem(("sites", i, "alerts", "webhooks", j, "rules", k),
                                   f"unknown rule {name!r}; rules of this site: {sorted(ids) or 'none'}"))
    return out


def check_alert_refs(cfg: AppConfig) -> list[Problem]:
    """Alert rules name existing zones, counters and cameras of their site; webhooks name existing rules."""
    return [p for i, s in enumerate(cfg.sites) for p in _site_refs(s, i)]


def check_hours(cfg: AppConfig) -> list[Problem]:
    """Office-hour keys are day names or ranges, each day once; spans are 'HH:MM-HH:MM' and do not overlap."""
    out = []
    for i, s in enumerate(cfg.sites):
        seen: dict[int, str] = {}
        for key, spans in s.hours.items():
            loc: Loc = ("sites", i, "hours", key)
            try:
                for day in parse_days(key):
                    if day in seen:
                        out.append(Problem(loc, f"{DAY_NAMES[day]} is in both {seen[day]!r} and {key!r}"))
                    seen[day] = key
            except ValueError as exc:
                out.append(Problem(loc, str(exc)))
            parsed = []
            for k, span in enumerate(spans):
                try:
                    parsed.append(parse_span(span))
                except ValueError as exc:
                    out.append(Problem(loc + (k,), str(exc)))
            parsed.sort()
            for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
                if start < end:
                    out.append(Problem(loc, f"spans of {key!r} overlap"))
    return out


def check_counters_watched(cfg: AppConfig) -> list[Problem]:
    """Warn about counters that no staff zone watches (they can never be staffed)."""
    out = []
    for i, s in enumerate(cfg.sites):
        watched = {z.counter for c in s.cameras for z in c.zones if z.kind == "staff"}
        for j, c in enumerate(s.counters):
            if c.id not in watched:
                out.append(Problem(("sites", i, "counters", j, "id"),
                                   f"no staff zone watches counter {c.id!r}; its staffing stays unknown", True))
    return out


def check_view_rules(cfg: AppConfig) -> list[Problem]:
    """Warn about camera_moved rules on cameras whose view check is off (they can never fire)."""
    out = []
    for i, s in enumerate(cfg.sites):
        off = {c.id for c in s.cameras if not c.view_check.enabled}
        for j, r in enumerate(s.alerts.rules):
            if r.kind == "camera_moved" and r.camera in off:
                out.append(Problem(("sites", i, "alerts", "rules", j, "camera"),
                                   f"camera {r.camera!r} has view_check.enabled: false; this rule never fires", True))
    return out


def check_reports(cfg: AppConfig) -> list[Problem]:
    """Report schedules name existing webhook targets, sites and provinces; e-mail needs reports.email."""
    rep = cfg.reports
    out = _duplicates(((("reports", "webhooks", j, "id"), w.id) for j, w in enumerate(rep.webhooks)), "webhook")
    out += _duplicates(((("reports", "schedule", j, "id"), s.id) for j, s in enumerate(rep.schedule)), "schedule")
    hooks = {w.id for w in rep.webhooks}
    sites = {s.id for s in cfg.sites}
    provinces = {s.province for s in cfg.sites}
    for j, s in enumerate(rep.schedule):
        loc: Loc = ("reports", "schedule", j)
        for k, name in enumerate(s.webhooks):
            if name not in hooks:
                out.append(Problem(loc + ("webhooks", k), f"unknown report webhook {name!r}; reports.webhooks: "
                                   f"{sorted(hooks) or 'none'}"))
        if s.email_to and rep.email is None:
            out.append(Problem(loc + ("email_to",), "e-mail recipients need reports.email (the SMTP server)"))
        if not s.webhooks and not s.email_to:
            out.append(Problem(loc, "the schedule sends to nobody: add webhooks or email_to", True))
        if s.site is not None and s.site not in sites:
            out.append(Problem(loc + ("site",), f"unknown site {s.site!r}"))
        if s.province is not None and s.province not in provinces:
            out.append(Problem(loc + ("province",), f"no site in province {s.province!r}"))
        hh, mm = (int(x) for x in s.at.split(":"))
        if hh > 23 or mm > 59:
            out.append(Problem(loc + ("at",), f"bad time {s.at!r}: use HH:MM, 00:00 to 23:59"))
        if not _known_timezone(s.timezone):
            out.append(Problem(loc + ("timezone",), f"unknown time zone {s.timezone!r}"))
    return out


def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# Zones smaller than this share of the frame rarely hold a person's anchor point: usually a typo in a coordinate.
MIN_ZONE_AREA = 0.005
_GRID = 200  # raster resolution for zone geometry checks (0.5% of the frame per cell side)
# A staff zone must overlap a front zone in at least this many raster columns for a person to reach both.
_MIN_SHARED_COLUMNS = 3


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Return the area of a normalised polygon, as a share of the frame (shoelace formula)."""
    n = len(points)
    return abs(sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                   for i in range(n))) / 2


def _raster(zone: ZoneConfig) -> np.ndarray:
    """Return the zone's interior on a grid; one cell of erosion so that zones sharing an edge do not overlap."""
    mask = np.zeros((_GRID, _GRID), np.uint8)
    raw = np.array(zone.polygon, np.float64)
    if not np.all(np.isfinite(raw)):
        return mask.astype(bool)  # check_zones reports the polygon itself
    pts = np.round(np.clip(raw, -1.0, 2.0) * (_GRID - 1)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)


def _reach_problem(staff: ZoneConfig, front: ZoneConfig) -> str | None:
    """Say how a standing citizen in ``front`` can also be in ``staff``, or None if they cannot."""
    s, f = _raster(staff), _raster(front)
    if (s & f).any():
        return (f"staff zone {staff.id!r} overlaps {front.kind} zone {front.id!r}: a person standing in the overlap "
                "is in both, and only whether their feet are visible tells a citizen from the officer")
    rows = np.arange(_GRID)[:, None]
    top_staff = np.where(s, rows, _GRID).min(axis=0)  # per column, the highest staff cell
    low_front = np.where(f, rows, -1).max(axis=0)  # per column, the lowest front cell
    if np.count_nonzero(top_staff < low_front) < _MIN_SHARED_COLUMNS:
        return None
    return (f"staff zone {staff.id!r} lies above {front.kind} zone {front.id!r} (the camera looks over the "
            f"citizens' backs): a citizen standing in {front.id!r} can have their head in {staff.id!r}")


def check_role_separation(cfg: AppConfig) -> list[Problem]:
    """Warn about a counter's staff zone that a citizen standing in its service zone (same camera) can reach."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            fronts = [z for z in cam.zones if z.kind == "service" and z.count_mode == "person"]
            for k, staff in enumerate(cam.zones):
                if staff.kind != "staff" or staff.count_mode != "person":
                    continue
                for front in fronts:
                    if front.counter != staff.counter:
                        continue
                    problem = _reach_problem(staff, front)
                    if problem is None:
                        continue
                    if staff.shared or front.shared:
                        shared = staff.id if staff.shared else front.id
                        advice = (f"zone {shared!r} has shared: true, so the roles rule cannot separate them and "
                                  "one person counts as citizen and officer; remove shared")
                    else:
                        advice = ("the roles rule keeps them a citizen while their feet are visible or their box "
                                  "ends well below the staff zone (README: One person, one role); check "
                                  "`onestop-monitor snapshot` with someone standing there")
                    out.append(Problem(("sites", i, "cameras", j, "zones", k, "polygon"),
                                       f"{problem}; {advice}", True))
    return out


def check_zone_sizes(cfg: AppConfig) -> list[Problem]:
    """Warn about zones covering less than 0.5% of the frame (usually a mistyped coordinate)."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            for k, z in enumerate(cam.zones):
                area = polygon_area(z.polygon)
                if 0 < area < MIN_ZONE_AREA:
                    out.append(Problem(("sites", i, "cameras", j, "zones", k, "polygon"),
                                       f"zone {z.id!r} covers {100 * area:.2f}% of the frame, less than "
                                       f"{100 * MIN_ZONE_AREA:g}%: too small to hold a person reliably "
                                       "(coordinates are fractions 0..1 of width and height)", True))
    return out


def _local_file(url: str) -> Path | None:
    if url.lower().startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return Path(unquote(urlsplit(url).path))
    return None if "://" in url else Path(url).expanduser()


def check_source_files(cfg: AppConfig) -> list[Problem]:
    """Warn about cameras reading a local video or image file that does not exist."""
    out = []
    for i, s in enumerate(cfg.sites):
        for j, cam in enumerate(s.cameras):
            path = _local_file(cam.url)
            if path is None or not cam.enabled or path.exists():
                continue
            where = "" if path.is_absolute() else f" (relative paths are read from the current directory, {Path.cwd()})"
            out.append(Problem(("sites", i, "cameras", j, "url"),
                               f"camera {cam.id!r}: file {str(path)!r} does not exist{where}; the camera will "
                               "stay down", True))
    return out


def check_plain_passwords(raw: Mapping[str, Any]) -> list[Problem]:
    """Warn about passwords written in clear in camera or webhook URLs instead of ${VAR} (checked before expansion).

    The config file is read by people, backed up and sometimes committed; the environment is where secrets go.
    """
    out = []
    sites = raw.get("sites")
    for i, s in enumerate(sites if isinstance(sites, list) else []):
        if not isinstance(s, Mapping):
            continue
        urls: list[tuple[Loc, object]] = []
        cams = s.get("cameras")
        for j, cam in enumerate(cams if isinstance(cams, list) else []):
            if isinstance(cam, Mapping):
                urls.append((("sites", i, "cameras", j, "url"), cam.get("url")))
        alerts = s.get("alerts")
        hooks = alerts.get("webhooks") if isinstance(alerts, Mapping) else None
        for j, hook in enumerate(hooks if isinstance(hooks, list) else []):
            if isinstance(hook, Mapping):
                urls.append((("sites", i, "alerts", "webhooks", j, "url"), hook.get("url")))
        for loc, url in urls:
            if isinstance(url, str) and any("${" not in secret for secret in url_secrets(url)):
                out.append(Problem(loc, "a password is written in clear in this URL; put it in an environment "
                                        "variable instead, e.g. rtsp://viewer:${CAMERA_PASSWORD}@host/stream "
                                        "(the file is read by people, backed up and sometimes committed)", True))
    return out


CHECKS: tuple[Callable[[AppConfig], list[Problem]], ...] = (
    check_unique_ids, check_hours, check_zones, check_alert_refs, check_counters_watched, check_role_separation,
    check_zone_sizes, check_source_files, check_reports, check_view_rules)


def run_checks(cfg: AppConfig) -> list[Problem]:
    """Run every cross-field check."""
    return [p for check in CHECKS for p in check(cfg)]

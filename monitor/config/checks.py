"""Cross-field checks, each a small function returning the problems it finds with their paths.

Ids, office hours, alert references and report schedules are checked here; zone geometry in ``zone_checks``,
camera and webhook URLs in ``url_checks``. ``run_checks`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .app import AppConfig
from .problem import Loc, Problem
from .site import DAY_NAMES, SiteConfig, parse_days, parse_span
from .url_checks import check_source_files
from .zone_checks import check_role_separation, check_zone_sizes, check_zones


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


CHECKS: tuple[Callable[[AppConfig], list[Problem]], ...] = (
    check_unique_ids, check_hours, check_zones, check_alert_refs, check_counters_watched, check_role_separation,
    check_zone_sizes, check_source_files, check_reports, check_view_rules)


def run_checks(cfg: AppConfig) -> list[Problem]:
    """Run every cross-field check."""
    return [p for check in CHECKS for p in check(cfg)]

"""Ward ranking per province: a documented composite score, with its components and the main issue.

score = 100 x (0.4 x S + 0.3 x (1 - U) + 0.3 x L), where
  S = staffed ratio (share of office time an officer sat at the counter, over known time),
  U = waiting-unstaffed share (counter-minutes with citizens waiting and no officer / known counter-minutes),
  L = service level (1 - share of queue time with the estimated wait above reports.wait_target, or with people
      waiting and no officer; wards without a wait estimate use 1 - share of time at or above the queue
      threshold).
A component without data is left out and the other weights are scaled up to sum to 1. Wards whose data
coverage is below reports.min_coverage are not ranked (listed after the ranked ones): too little was seen to
judge them. Ties go to fewer waiting-unstaffed minutes, then to the site id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

WEIGHTS = {"staffed_ratio": 0.4, "waiting_unstaffed": 0.3, "service_level": 0.3}
ISSUES = {
    "staffed_ratio": ("Quầy vắng cán bộ {v:.0%} thời gian", "Counters unstaffed {v:.0%} of the time"),
    "waiting_unstaffed": ("Dân chờ không có cán bộ {m:.0f} phút", "Citizens waited with no officer for {m:.0f} min"),
    "service_level": ("Chờ quá mục tiêu {v:.0%} thời gian", "Wait above target {v:.0%} of the time"),
}


def components(fig: dict[str, Any]) -> dict[str, float | None]:
    """Return the score components (each 0..1, higher is better) of a ward's figures."""
    known_min = sum(fig.get(k) or 0.0 for k in ("waiting_unstaffed_min", "serving_min", "idle_staffed_min",
                                                 "unstaffed_min", "other_min"))
    waiting = fig.get("waiting_unstaffed_min")
    return {
        "staffed_ratio": fig.get("staffed_ratio"),
        "waiting_unstaffed": 1 - waiting / known_min if waiting is not None and known_min > 0 else None,
        "service_level": fig.get("service_level"),
    }


def score(parts: dict[str, float | None]) -> float | None:
    """Return the composite 0..100 over the components that have data, None when none has.

    >>> score({"staffed_ratio": 1.0, "waiting_unstaffed": 1.0, "service_level": None})
    100.0
    """
    have = {k: v for k, v in parts.items() if v is not None}
    total = sum(WEIGHTS[k] for k in have)
    if not have or total <= 0:
        return None
    return 100.0 * sum(WEIGHTS[k] * v for k, v in have.items()) / total


def main_issue(parts: dict[str, float | None], fig: dict[str, Any]) -> tuple[str, str] | None:
    """Return (vi, en) text of the component that lost the most weighted points, None if none lost any."""
    losses = {k: WEIGHTS[k] * (1 - v) for k, v in parts.items() if v is not None}
    if not losses or max(losses.values()) <= 0.005:
        return None
    worst = max(losses, key=lambda k: losses[k])
    v = 1 - (parts[worst] or 0.0)
    m = fig.get("waiting_unstaffed_min") or 0.0
    vi, en = ISSUES[worst]
    return vi.format(v=v, m=m), en.format(v=v, m=m)


def rank_sites(items: Iterable[tuple[Any, dict[str, Any], Any]], min_coverage: float) -> list[dict[str, Any]]:
    """Return ranking rows per province: ranked wards best first, then the wards with too little data.

    ``items`` are (SiteConfig, figures over the whole range, aggregate) per ward.
    """
    by_province: dict[str, list[dict[str, Any]]] = {}
    for site, fig, _ in items:
        parts = components(fig)
        sc = score(parts)
        coverage = fig.get("coverage")
        ranked = sc is not None and coverage is not None and coverage >= min_coverage
        issue = main_issue(parts, fig) if ranked else None
        waiting_share = None if parts["waiting_unstaffed"] is None else 1 - parts["waiting_unstaffed"]
        by_province.setdefault(site.province, []).append({
            "province": site.province, "rank": None, "site": site.id, "site_name": site.name,
            "score": None if sc is None else round(sc, 1), "staffed_ratio": fig.get("staffed_ratio"),
            "waiting_unstaffed_min": fig.get("waiting_unstaffed_min"),
            "waiting_unstaffed_share": None if waiting_share is None else round(waiting_share, 4),
            "service_level": fig.get("service_level"), "coverage": coverage, "served": fig.get("served"),
            "main_issue": issue[0] if issue else None, "main_issue_en": issue[1] if issue else None,
            "ranked": ranked,
            "components": {k: None if v is None else round(v, 4) for k, v in parts.items()},
        })
    out: list[dict[str, Any]] = []
    for province in sorted(by_province):
        rows = by_province[province]
        good = sorted((r for r in rows if r["ranked"]),
                      key=lambda r: (-r["score"], r["waiting_unstaffed_min"] or 0.0, r["site"]))
        for i, r in enumerate(good, start=1):
            r["rank"] = i
        out += good + sorted((r for r in rows if not r["ranked"]), key=lambda r: r["site"])
    return out

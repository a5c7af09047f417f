"""Building blocks of the Grafana dashboards: panels, template variables, layout, the datasource variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Every panel, target and query variable reads this datasource variable, provisioned with its uid.
DATASOURCE_UID = "onestop-prometheus"
DS: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24

Json = dict[str, Any]


def target(expr: str, legend: str = "", *, instant: bool = False, fmt: str = "time_series") -> Json:
    """Return a Prometheus query of a panel (refId is set by the panel)."""
    return {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
            "instant": instant, "range": not instant, "format": fmt}


@dataclass
class Panel:
    """One panel: type, Vietnamese title, English description, queries, size; options are merged in."""

    type: str
    title: str
    description: str
    targets: list[Json]
    w: int
    h: int
    unit: str | None = None
    options: Json = field(default_factory=dict)
    defaults: Json = field(default_factory=dict)
    transformations: list[Json] = field(default_factory=list)
    overrides: list[Json] = field(default_factory=list)

    def to_json(self, pid: int, x: int, y: int) -> Json:
        """Return the panel's dashboard JSON at a grid position."""
        defaults: Json = {"color": {"mode": "palette-classic"}, **self.defaults}
        if self.unit:
            defaults["unit"] = self.unit
        targets = [{**t, "refId": chr(ord("A") + i)} for i, t in enumerate(self.targets)]
        out: Json = {"id": pid, "type": self.type, "title": self.title, "description": self.description,
                     "datasource": DS, "gridPos": {"x": x, "y": y, "w": self.w, "h": self.h},
                     "targets": targets, "fieldConfig": {"defaults": defaults, "overrides": self.overrides},
                     "options": self.options}
        if self.transformations:
            out["transformations"] = self.transformations
        return out


def query_var(name: str, label: str, description: str, query: str, *, multi: bool = True,
              include_all: bool = True) -> Json:
    """Return a template variable filled from a label_values() query."""
    return {"name": name, "label": label, "description": description, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": f"{name}-values", "qryType": 1}, "definition": query,
            "refresh": 2, "sort": 1, "multi": multi, "includeAll": include_all,
            "allValue": ".*" if include_all else None, "current": {}, "options": [], "hide": 0, "regex": ""}


def datasource_var() -> Json:
    """Return the datasource variable every panel uses (defaults to the provisioned Prometheus)."""
    return {"name": "datasource", "label": "Nguồn dữ liệu", "type": "datasource", "query": "prometheus",
            "description": "Prometheus data source holding onestop-monitor metrics.",
            "current": {"text": "Prometheus (onestop)", "value": DATASOURCE_UID}, "hide": 0, "refresh": 1,
            "regex": "", "options": []}


PROVINCE = query_var("province", "Tỉnh", "Province (from onestop_site_open).",
                     "label_values(onestop_site_open, province)")
SITES = query_var("site", "Điểm một cửa", "One-stop office (site id) of the selected provinces.",
                  'label_values(onestop_site_open{province=~"$province"}, site)')
ONE_SITE = query_var("site", "Điểm một cửa", "One-stop office (site id) of the selected provinces.",
                     'label_values(onestop_site_open{province=~"$province"}, site)', multi=False,
                     include_all=False)
COUNTERS = query_var("counter", "Quầy", "Counters of the selected site.",
                     'label_values(onestop_counter_state{site=~"$site"}, counter)')


@dataclass
class Dashboard:
    """A dashboard: panels laid out left to right in rows of 24 grid units."""

    uid: str
    title: str
    description: str
    variables: list[Json]
    panels: list[Panel]
    time_from: str = "now/d"
    time_to: str = "now"

    def to_json(self) -> Json:
        """Return the dashboard JSON with ids 1..n and grid positions assigned."""
        out_panels: list[Json] = []
        x = y = row_h = 0
        for pid, panel in enumerate(self.panels, start=1):
            if x + panel.w > GRID_WIDTH:
                x, y, row_h = 0, y + row_h, 0
            out_panels.append(panel.to_json(pid, x, y))
            x += panel.w
            row_h = max(row_h, panel.h)
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["onestop", "one-stop", "một cửa"], "timezone": "Asia/Ho_Chi_Minh", "editable": True,
            "graphTooltip": 1, "refresh": "1m", "schemaVersion": 39, "version": 1,
            "time": {"from": self.time_from, "to": self.time_to},
            "timepicker": {}, "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "monday",
            "annotations": {"list": []},
            "links": [{"title": "Một cửa (onestop)", "type": "dashboards", "tags": ["onestop"],
                       "asDropdown": True, "includeVars": True, "keepTime": True, "icon": "external link",
                       "targetBlank": False, "tooltip": "", "url": ""}],
            "templating": {"list": [datasource_var(), *self.variables]},
            "panels": out_panels,
        }

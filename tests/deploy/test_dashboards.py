"""Grafana dashboards: generated files current, unique ids, the datasource variable everywhere, PromQL."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promstack import (
    BUILTINS,
    DASHBOARD_FILES,
    DEPLOY,
    DS_VAR,
    dashboards,
    exported_names,
    panel_exprs,
    panels,
    recorded_names,
    run,
    series_names,
    tool,
    variables_used,
)

GRAFANA = DEPLOY / "grafana"
DASHES = dashboards()
IDS = [d["uid"] for d in DASHES]


def load_generator() -> Any:
    """Import deploy/grafana/generate.py (a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("onestop_dashboard_generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def defined_variables(dash: dict[str, Any]) -> list[str]:
    """Return the dashboard's template variable names in order."""
    return [v["name"] for v in dash["templating"]["list"]]


def test_three_dashboards_with_unique_uids():
    assert sorted(IDS) == ["onestop-health", "onestop-province", "onestop-site"]
    assert len(set(IDS)) == len(IDS)
    assert {p.stem for p in DASHBOARD_FILES} == set(IDS)


def test_generated_files_are_current():
    assert load_generator().main(["--check"]) == 0, "run: python deploy/grafana/generate.py"


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_panel_ids_unique_and_layout_fits(dash: dict[str, Any]):
    ps = list(panels(dash))
    ids = [p["id"] for p in ps]
    assert len(ids) == len(set(ids)) and len(ids) >= 8
    boxes = [p["gridPos"] for p in ps]
    for g in boxes:
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24 and g["h"] > 0
    for a, b in itertools.combinations(boxes, 2):
        overlap = (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                   and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
        assert not overlap, f"panels overlap: {a} {b}"


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_everything_uses_the_datasource_variable(dash: dict[str, Any]):
    for p in panels(dash):
        assert p["datasource"] == DS_VAR, p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DS_VAR, (p["title"], t["refId"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            assert v["datasource"] == DS_VAR, v["name"]
    # No other datasource anywhere in the file (annotations, links, nested options...).
    assert all(ds == DS_VAR for ds in datasource_refs(dash))


def datasource_refs(node: Any) -> list[Any]:
    """Return every value stored under a "datasource" key anywhere in a JSON document."""
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "datasource"] + [
            r for v in node.values() for r in datasource_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in datasource_refs(v)]
    return []


def test_datasource_variable_defaults_to_the_provisioned_datasource():
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "onestop.yml").read_text())
    (ds,) = provisioned["datasources"]
    assert ds["type"] == "prometheus"
    for dash in DASHES:
        (var,) = [v for v in dash["templating"]["list"] if v["name"] == "datasource"]
        assert var["type"] == "datasource" and var["query"] == "prometheus"
        assert var["current"]["value"] == ds["uid"]
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "onestop.yml").read_text())
    assert providers["providers"][0]["type"] == "file"


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_template_variables(dash: dict[str, Any]):
    names = defined_variables(dash)
    assert names[:3] == ["datasource", "province", "site"]
    if dash["uid"] == "onestop-site":
        assert "counter" in names
    known_series = exported_names()
    for i, v in enumerate(dash["templating"]["list"]):
        if v["type"] != "query":
            continue
        query = v["query"]["query"]
        assert query.startswith("label_values(") and query == v["definition"]
        assert series_names(query) <= known_series, query
        # A variable may only refer to variables defined before it (Grafana resolves them in order).
        assert variables_used(query) <= set(names[:i]), (v["name"], query)


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_every_variable_used_exists(dash: dict[str, Any]):
    defined = set(defined_variables(dash)) | set(BUILTINS)
    for p in panels(dash):
        for t in p["targets"]:
            used = variables_used(t["expr"]) | variables_used(t.get("legendFormat", ""))
            assert used <= defined, (p["title"], sorted(used - defined))
        assert not variables_used(p["title"]) - defined, p["title"]


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_vietnamese_titles_english_descriptions(dash: dict[str, Any]):
    assert not dash["title"].isascii() and dash["description"].isascii()
    for p in panels(dash):
        assert not p["title"].isascii(), f"title without Vietnamese: {p['title']}"
        assert p["description"].isascii() and len(p["description"]) > 20, p["title"]


@pytest.mark.parametrize("dash", DASHES, ids=IDS)
def test_queries_read_series_that_exist(dash: dict[str, Any]):
    known = exported_names() | recorded_names()
    for e in panel_exprs(dash, sample_values(dash)):
        assert series_names(e.expr) <= known, (e.where, sorted(series_names(e.expr) - known))


def sample_values(dash: dict[str, Any]) -> dict[str, str]:
    """Return stand-in values for the dashboard's variables (enough to check the syntax)."""
    values = {"province": "Lào Cai", "site": "coc-leu", "counter": "(desk-1|desk-2)", "datasource": "x"}
    return {**BUILTINS, **{n: values[n] for n in defined_variables(dash)}}


def test_every_dashboard_query_parses(tmp_path: Path):
    """promtool parses each query (variables substituted) as the expression of a recording rule."""
    exprs = [e for dash in DASHES for e in panel_exprs(dash, sample_values(dash))]
    assert len(exprs) >= 40
    doc = {"groups": [{"name": "dashboard-queries", "rules": [
        {"record": f"dashboard_query_{i}", "expr": e.expr} for i, e in enumerate(exprs)]}]}
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res = run(tool("promtool"), "check", "rules", path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in res.stdout

"""Console pages without a browser: one complete text catalogue, no inline script, security headers, redirects."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.api.app import create_app
from monitor.api.deps import AppParts
from monitor.config import AppConfig, LoadedConfig, SiteConfig
from monitor.console.i18n import CATALOGUE, LANGUAGES, TEXTS, load_catalogue, texts
from monitor.metrics import Metrics
from monitor.reports.ranking import WEIGHTS
from monitor.state.model import COUNTER_STATES

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "monitor" / "console"
SCRIPTS = sorted((CONSOLE / "static" / "js").glob("*.js"))
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))


def app_client() -> TestClient:
    site = SiteConfig.model_validate({"id": "s", "name": "n"})
    return TestClient(create_app(AppParts(config=LoadedConfig(AppConfig(sites=[site]), None), metrics=Metrics(),
                                          engine=None)))


def test_every_text_used_is_in_the_catalogue_in_both_languages():
    used: set[str] = set()
    for js in SCRIPTS:
        used |= set(re.findall(r'\btr\("([a-z_]+)"', js.read_text()))
    for page in TEMPLATES:
        used |= set(re.findall(r"\bt\.([a-z_]+)", page.read_text()))
    # Keys built from data: every state, zone kind, anchor, counting mode and alert kind the API can return.
    used |= {f"state_{s}" for s in (*COUNTER_STATES, "unknown")} | {f"kind_{k}" for k in ("queue", "service", "staff")}
    used |= {f"anchor_{a}" for a in ("feet", "center", "head", "hips")} | {"mode_person", "mode_head"}
    used |= {f"alert_{k}" for k in ("long_queue", "counter_unstaffed", "long_service", "camera_down")}
    # The reports page: row statuses, score components, period kinds, CSV levels, the "other" state.
    used |= {f"status_{s}" for s in ("open", "closed", "no_data", "future")} | {"state_other"}
    used |= {f"comp_{k}" for k in WEIGHTS} | {f"period_{k}" for k in ("day", "week", "month", "range")}
    used |= {f"level_{lv}" for lv in ("site", "counter", "zone", "ranking", "province")}
    assert len(used) > 60
    assert sorted(used - set(TEXTS)) == []
    for key, (vi, en) in TEXTS.items():
        assert vi.strip() and en.strip(), key
        assert re.findall(r"\{\w+\}", vi) == re.findall(r"\{\w+\}", en), key  # same placeholders
    assert texts("vi")["nav_overview"] == "Tổng quan" and texts("en")["nav_overview"] == "Overview"
    assert texts("fr") == texts("vi") and LANGUAGES[0] == "vi"


def test_the_catalogue_refuses_a_text_missing_a_language(tmp_path: Path) -> None:
    bad = tmp_path / "messages.yaml"
    bad.write_text("ok:\n  vi: Có\n  en: 'Yes'\nhalf:\n  vi: Chỉ tiếng Việt\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'half' needs a text for each of vi, en"):
        load_catalogue(bad)


def test_the_catalogue_ships_in_the_package() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    relative = CATALOGUE.relative_to(REPO / "monitor").as_posix()
    assert any(fnmatch(relative, pattern) for pattern in setuptools["package-data"]["monitor"])


def test_no_inline_script_or_handler_and_no_outside_url():
    for page in TEMPLATES:
        html = page.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (page.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), page.name
        assert "http://" not in html and "https://" not in html, page.name
    for js in SCRIPTS:
        code = js.read_text()
        assert "http://" not in code and "https://" not in code and "eval(" not in code, js.name
        assert "localStorage" not in code and "document.cookie" not in code, js.name  # the token: session only


def test_pages_headers_language_and_redirects():
    client = app_client()
    r = client.get("/")
    assert r.status_code == 200 and 'lang="vi"' in r.text and "Tổng quan" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    r = client.get("/lang/en?next=/cameras/hall-1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cameras/hall-1"
    assert client.get("/").text.count("Overview") >= 1 and 'lang="en"' in client.get("/").text
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        assert client.get(f"/lang/vi?next={evil}", follow_redirects=False).headers["location"] == "/"
    docs = client.get("/docs")
    assert "/console/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert "'unsafe-inline'" in docs.headers["content-security-policy"]  # styles only: Swagger UI sets them
    assert "script-src 'self';" in docs.headers["content-security-policy"]
    assert "redoc.standalone.js" in client.get("/redoc").text
    assert client.get("/console/static/vendor/lit-html/lit-html.js").status_code == 200
    assert client.get("/api/v1/me").json() == {"name": "anonymous", "role": "admin", "auth": False}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/cameras/{camera_id}/zones", "/api/v1/cameras/{camera_id}/zones/preview",
            "/api/v1/cameras/{camera_id}/sample", "/api/v1/me"} <= set(paths)
    assert set(paths["/api/v1/cameras/{camera_id}/zones"]) == {"get", "put"}
    assert "/" not in paths and "/cameras/{camera_id}/edit" not in paths  # pages are not API


def test_reports_page_is_the_form_and_its_script():
    client = app_client()
    page = client.get("/reports").text
    assert "/console/static/js/reports.js" in page and 'type="month"' in page and 'type="week"' in page
    assert 'aria-current="page">Báo cáo' in page.replace("\n", "")
    for name in ("reports.js", "period.js", "chart.js"):
        assert client.get(f"/console/static/js/{name}").status_code == 200
    # Without a reports part (no history here) the page's API call gets a clear 503, which the page shows.
    r = client.get("/api/v1/reports", params={"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 503 and "not running" in r.json()["detail"]

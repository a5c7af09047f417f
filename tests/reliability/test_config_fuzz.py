"""Hypothesis: random mutations of a valid config never make load_config_text fail with anything but ConfigError."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import ConfigError, LoadedConfig, load_config_text

VALID: dict[str, Any] = {
    "service": {"port": 8000, "state_dir": "state", "tokens": [{"name": "wall", "env": "T_WALL"}],
                "metrics_auth": {"user": "prom", "password_env": "T_METRICS"},
                "evidence": {"enabled": True, "retention": "48h"}},
    "detector": {"imgsz": 640, "conf": 0.3, "tiling": {"rows": 2, "cols": 2}},
    "smoothing": {"window": 5, "min_session": "10s"},
    "sites": [{
        "id": "coc-leu", "name": "Phường Cốc Lếu", "province": "Lào Cai", "timezone": "Asia/Ho_Chi_Minh",
        "hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]},
        "holidays": {"country": "VN", "closed": ["2026-05-04"], "working": ["2026-05-09"]},
        "counters": [{"id": "desk-1", "name": "Quầy 1"}, {"id": "desk-2"}],
        "cameras": [
            {"id": "hall-1", "url": "rtsp://viewer:${CAM_PW}@127.0.0.1:8554/hall-1", "sample_every": "2s",
             "zones": [
                 {"id": "waiting", "kind": "queue", "polygon": [[0, 0.45], [1, 0.45], [1, 1], [0, 1]]},
                 {"id": "desk-1-staff", "kind": "staff", "counter": "desk-1",
                  "polygon": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.45], [0.1, 0.45]]},
                 {"id": "desk-1-front", "kind": "service", "counter": "desk-1", "anchor": "feet",
                  "polygon": [[0.4, 0.1], [0.7, 0.1], [0.7, 0.45], [0.4, 0.45]]}]},
            {"id": "snap-2", "url": "http://cam/snapshot.jpg", "type": "snapshot", "sample_every": 5,
             "zones": [{"id": "front-2", "kind": "service", "counter": "desk-2",
                        "polygon": [[0, 0], [1, 0], [1, 1]]}]}],
        "alerts": {
            "webhooks": [{"id": "sup", "url": "https://hooks.example/x", "secret_env": "HOOK_SECRET"}],
            "rules": [{"kind": "long_queue", "zone": "waiting", "min_people": 5, "for": "10m"},
                      {"kind": "counter_unstaffed", "counter": "desk-1", "for": "15m"},
                      {"kind": "camera_down", "camera": "hall-1", "for": "5m"}]}}],
}
ENV = {"CAM_PW": "pw", "HOOK_SECRET": "s"}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["", "2s", "-1", "1e309", "${NOPE}", "${CAM_PW}", "mon-sun", "25:00-26:00",
                                     "queue", "staff", "package://nope/x.jpg", "rtsp://a:b@h/", "\x00", "🙂"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=12)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every node of a JSON-like tree (root excluded)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        out.append(prefix + (k,))
        out += paths(v, prefix + (k,))
    return out


ALL_PATHS = paths(VALID)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """Return the valid config as YAML after 1-4 random edits: replace, delete, add a key, or duplicate."""
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for k in path[:-1]:
                parent = parent[k]
            key = path[-1]
            parent[key]  # the path may be gone after an earlier edit  # noqa: B018
        except (KeyError, IndexError, TypeError):
            continue
        op = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        if op == "replace":
            parent[key] = draw(values)
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


yaml_noise = st.lists(st.sampled_from(["sites:", "- ", "  ", "\n", ":", "{", "}", "[", "]", "&a", "*a", "!!str",
                                       "!!python/object:os.system", "${X}", "'", '"', "#", "\t", "? ", "|", ">",
                                       "id: x", "polygon: [[0,0],[1,0]]", "%YAML 1.1", "---", "...", "\\"]),
                      max_size=40).map("".join)


def check(text: str) -> None:
    try:
        out = load_config_text(text, env=ENV)
    except ConfigError as exc:
        assert exc.issues, "a ConfigError must say what is wrong"
        n_lines = text.count("\n") + 2
        for issue in exc.issues:
            assert issue.message and str(issue)
            assert issue.line is None or 1 <= issue.line <= n_lines, issue
    else:
        assert isinstance(out, LoadedConfig)


def test_the_base_config_is_valid() -> None:
    loaded = load_config_text(yaml.safe_dump(VALID, allow_unicode=True), env=ENV)
    assert loaded.config.sites[0].cameras[0].url.endswith("viewer:pw@127.0.0.1:8554/hall-1")


@given(mutated())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_configs_fail_only_with_config_error(text: str) -> None:
    check(text)


@given(st.one_of(yaml_noise, st.text(max_size=200)))
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_fails_only_with_config_error(text: str) -> None:
    check(text)

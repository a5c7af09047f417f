# ruff: noqa: E501 - EXAMPLE is the issue's config, verbatim
import textwrap

import pytest

from monitor.config import ConfigError, load_config, load_config_text, parse_duration
from tests.support.paths import REPO

EXAMPLE = textwrap.dedent("""\
    sites:
      - id: coc-leu
        name: "Phường Cốc Lếu"
        province: "Lào Cai"
        timezone: Asia/Ho_Chi_Minh
        hours:
          mon-fri: ["07:30-11:30", "13:30-17:00"]
        counters:
          - {id: desk-1, name: "Quầy 1 - Tư pháp, hộ tịch"}
        cameras:
          - id: hall-1
            url: rtsp://viewer:secret@127.0.0.1:8554/hall-1
            sample_every: 2s
            zones:
              - {id: waiting, kind: queue, polygon: [[0, 0.45], [1, 0.45], [1, 1], [0, 1]]}
              - {id: desk-1-staff, kind: staff, counter: desk-1, polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.45], [0.1, 0.45]]}
              - {id: desk-1-front, kind: service, counter: desk-1, polygon: [[0.4, 0.1], [0.7, 0.1], [0.7, 0.45], [0.4, 0.45]]}
    """)


def errors_of(text, env=None):
    with pytest.raises(ConfigError) as info:
        load_config_text(text, env=env or {})
    return [(i.line, i.path, i.message) for i in info.value.issues if not i.warning]


def test_issue_example_validates_unchanged():
    cfg = load_config_text(EXAMPLE, env={}).config
    site = cfg.sites[0]
    assert site.name == "Phường Cốc Lếu"
    assert site.cameras[0].sample_every == 2.0
    assert [z.resolved_anchor() for z in site.cameras[0].zones] == ["feet", "head", "feet"]
    assert site.weekly_hours()[0][1][0].hour == 13 and site.weekly_hours()[5] == []


@pytest.mark.parametrize("old,new,line,path,fragment", [
    ("counter: desk-1, polygon: [[0.4", "counter: desk-9, polygon: [[0.4", 17,
     "sites[0].cameras[0].zones[2].counter", "unknown counter 'desk-9'"),
    ("sample_every: 2s", "sample_every: 2 parsecs", 13, "sites[0].cameras[0].sample_every", "bad duration"),
    ("[0.1, 0.45]]}", "[0.4, 0.1]]}", 16, "sites[0].cameras[0].zones[1].polygon", "self-intersecting"),
    ("[[0, 0.45], [1, 0.45]", "[[0, 0.45], [1.5, 0.45]", 15, "sites[0].cameras[0].zones[0].polygon", "outside 0..1"),
    ("id: desk-1-front", "id: waiting", 17, "sites[0].cameras[0].zones[2].id", "duplicate zone id 'waiting'"),
    ("kind: queue", "kind: lobby", 15, "sites[0].cameras[0].zones[0].kind", "Input should be"),
    ("timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Olympus", 5, "sites[0].timezone", "unknown time zone"),
    ('mon-fri: ["07:30-11:30"', 'mon-fri: ["07:30-1130"', 7, "sites[0].hours.mon-fri[0]", "bad time span"),
    ("sample_every: 2s", "sample_evry: 2s", 13, "sites[0].cameras[0].sample_evry", "unknown field"),
])
def test_each_error_names_field_and_line(old, new, line, path, fragment):
    assert old in EXAMPLE
    errs = errors_of(EXAMPLE.replace(old, new, 1))
    assert any(ln == line and p == path and fragment in msg for ln, p, msg in errs), errs


def test_every_cross_field_error_is_reported_at_once():
    text = EXAMPLE.replace("counter: desk-1, polygon: [[0.4", "counter: desk-9, polygon: [[0.4").replace(
        "id: desk-1-front", "id: waiting")
    errs = errors_of(text)
    assert {p for _, p, _ in errs} >= {"sites[0].cameras[0].zones[2].counter", "sites[0].cameras[0].zones[2].id"}


def test_service_zone_needs_counter_and_rules_need_existing_targets():
    text = EXAMPLE.replace("kind: service, counter: desk-1,", "kind: service,") + (
        "    alerts:\n"
        "      rules:\n"
        "        - {kind: long_queue, zone: desk-1-staff, min_people: 5, for: 10m}\n"
        "        - {kind: camera_down, camera: hall-9, for: 5m}\n")
    errs = errors_of(text)
    paths = {p: (ln, m) for ln, p, m in errs}
    assert "must name its counter" in paths["sites[0].cameras[0].zones[2].counter"][1]
    assert paths["sites[0].alerts.rules[0].zone"] == (20, "zone 'desk-1-staff' is a staff zone, not a queue")
    assert paths["sites[0].alerts.rules[1].camera"] == (21, "unknown camera 'hall-9' in site 'coc-leu'")


def test_env_expansion_and_overrides():
    text = EXAMPLE.replace("viewer:secret@", "viewer:${CAM_PASS}@")
    cfg = load_config_text(text, env={"CAM_PASS": "p4ss", "ONESTOP__SERVICE__PORT": "9100"}).config
    assert cfg.sites[0].cameras[0].url.startswith("rtsp://viewer:p4ss@")
    assert cfg.service.port == 9100
    errs = errors_of(text)
    assert errs == [(12, "sites[0].cameras[0].url", "environment variable CAM_PASS is not set")]


def test_yaml_syntax_error_has_line():
    errs = errors_of(EXAMPLE.replace("counters:", "counters: [", 1))
    assert errs and errs[0][0] is not None and "YAML syntax" in errs[0][2]


@pytest.mark.parametrize("text,seconds", [("2s", 2), ("10m", 600), ("1h30m", 5400), ("500ms", 0.5), ("90", 90),
                                          (1.5, 1.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "2x", "-1s", "m", True, None])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("name", ["demo.yaml", "example.yaml"])
def test_shipped_configs_validate(name):
    loaded = load_config(REPO / "configs" / name)
    assert loaded.config.sites


def test_check_config_command_exit_codes(tmp_path, capsys):
    from monitor.cli import main

    good = tmp_path / "good.yaml"
    good.write_text(EXAMPLE)
    assert main(["check-config", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.replace("counter: desk-1, polygon: [[0.4", "counter: desk-9, polygon: [[0.4"))
    assert main(["check-config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 17: sites[0].cameras[0].zones[2].counter: unknown counter 'desk-9'" in err
    assert "secret" not in err


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    errs = errors_of(bomb + "sites: []\n")
    assert len(errs) == 1 and "more than" in errs[0][2]


def test_env_values_are_not_echoed_in_errors():
    errs = errors_of(EXAMPLE.replace("sample_every: 2s", "sample_every: ${CAM_EVERY}"),
                     env={"CAM_EVERY": "hunter2-secret"})
    assert errs[0][1] == "sites[0].cameras[0].sample_every"
    assert "hunter2-secret" not in errs[0][2] and "***" in errs[0][2]

"""Writing a camera's zones into its YAML file: only the changed zones' text changes; atomic, with a backup."""

import os
import stat

import pytest
import yaml

from monitor.config import load_config_text
from monitor.config.zone_edit import ZoneEditError, file_version, replace_zones, write_atomic, zones_diff
from tests.support.paths import REPO

DEMO = (REPO / "configs" / "demo.yaml").read_text()
EXAMPLE = (REPO / "configs" / "example.yaml").read_text()


def zones_of(text, camera):
    data = yaml.safe_load(text)
    cams = [c for s in data.get("sites", [data]) for c in s["cameras"]]
    return next(c for c in cams if c["id"] == camera).get("zones")


def test_same_zones_leave_the_file_byte_for_byte():
    for text, cam in ((DEMO, "desk-1-cam"), (DEMO, "street-queue"), (EXAMPLE, "hall-1")):
        assert replace_zones(text, cam, zones_of(text, cam)) == text


def test_a_changed_zone_is_rewritten_in_place_and_everything_else_kept():
    zones = zones_of(DEMO, "desk-1-cam")
    zones[0] = {**zones[0], "polygon": [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]}
    new = {"id": "bench", "kind": "queue", "name": "Ghế chờ: A", "polygon": [[0.1, 0.2], [0.333333, 0.2], [0.3, 0.9]]}
    out = replace_zones(DEMO, "desk-1-cam", [*zones, new])
    # Comments of both zones stay; the unchanged zone keeps its two-line layout; the new zone is added last.
    assert "# The officer's seat: right half" in out and "# In front of the counter: left part" in out
    assert "- {id: desk-1-front, kind: service, counter: desk-1, anchor: head,\n" \
           "             polygon: [[0, 0], [0.6, 0], [0.6, 1], [0, 1]]}" in out
    assert "- {id: bench, kind: queue, name: 'Ghế chờ: A', polygon: [[0.1, 0.2], [0.3333, 0.2], [0.3, 0.9]]}" in out
    assert zones_of(out, "desk-1-cam")[0]["polygon"] == [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    removed = [line for line in DEMO.splitlines() if line not in out.splitlines()]
    assert removed == ["          - {id: desk-1-staff, kind: staff, counter: desk-1, anchor: head,",
                       "             polygon: [[0.6, 0], [1, 0], [1, 1], [0.6, 1]]}"]
    load_config_text(out, env={})  # still a valid config


def test_removed_zones_take_their_comment_and_an_empty_list_stays_valid():
    zones = zones_of(DEMO, "desk-1-cam")
    out = replace_zones(DEMO, "desk-1-cam", zones[1:])
    assert "officer's seat" not in out and "# In front of the counter" in out
    out = replace_zones(DEMO, "street-queue", [])
    assert "        zones: []\n      - id: desk-1-cam" in out and "Feet on the pavement" not in out
    assert zones_of(out, "street-queue") == []


def test_a_camera_without_zones_gets_them_and_block_style_zones_stay_block(tmp_path):
    text = ("sites:\n  - id: s\n    name: S\n    cameras:\n      - id: c\n        url: a.mp4\n"
            "      - id: d\n        url: b.mp4\n        zones:\n          - id: q\n            kind: queue\n"
            "            polygon: [[0, 0], [1, 0], [1, 1]]\n")
    out = replace_zones(text, "c", [{"id": "q2", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}])
    assert ("        url: a.mp4\n        zones:\n"
            "          - {id: q2, kind: queue, polygon: [[0, 0], [1, 0], [1, 1]]}\n      - id: d\n") in out
    out = replace_zones(text, "d", [{"id": "q", "kind": "queue", "polygon": [[0, 0], [1, 0], [0, 1]]},
                                    {"id": "r", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}])
    assert "          - id: q\n            kind: queue\n            polygon: [[0, 0], [1, 0], [0, 1]]\n" \
           "          - id: r\n            kind: queue\n" in out
    with pytest.raises(ZoneEditError, match="not in this file"):
        replace_zones(text, "nope", [])


def test_a_site_file_is_edited_like_the_main_file():
    site = "# ward\nid: w\nname: W\ncameras:\n  - id: c  # the hall\n    url: a.mp4\n    zones: []\n"
    out = replace_zones(site, "c", [{"id": "q", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}])
    assert out == ("# ward\nid: w\nname: W\ncameras:\n  - id: c  # the hall\n    url: a.mp4\n    zones:\n"
                   "      - {id: q, kind: queue, polygon: [[0, 0], [1, 0], [1, 1]]}\n")


def test_write_atomic_keeps_mode_and_a_backup(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("old: 1\n")
    os.chmod(path, 0o640)
    backup = write_atomic(path, "new: 2\n")
    assert path.read_text() == "new: 2\n" and backup.read_text() == "old: 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "config.yaml.bak"]  # no temp file left
    assert file_version(b"new: 2\n") == file_version(path.read_bytes()) != file_version(b"old: 1\n")


def test_diff_summary():
    old = [{"id": "a", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]},
           {"id": "b", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}]
    new = [{"id": "a", "kind": "queue", "anchor": "auto", "polygon": [[0, 0], [1, 0], [1, 1.0]]},
           {"id": "b", "kind": "staff", "counter": "d", "polygon": [[0, 0], [1, 0], [1, 1]]},
           {"id": "c", "kind": "queue", "polygon": [[0, 0], [1, 0], [1, 1]]}]
    assert zones_diff(old, new) == {"added": ["c"], "removed": [], "changed": ["b"]}

"""check-config warnings: set-ups that load but cannot work as meant (exit 0, `warning:` lines)."""

import textwrap

from monitor.cli import main
from monitor.config import load_config_text

SITE = textwrap.dedent("""\
    sites:
      - id: room
        name: Room
        counters: [{id: table}]
        cameras:
          - id: cam
            url: URL
            zones:
    ZONES
    """)
BEHIND = """\
          - {id: staff, kind: staff, counter: table, polygon: [[0.45, 0], [0.75, 0], [0.75, 0.5], [0.45, 0.5]]}
          - {id: front, kind: service, counter: table, polygon: [[0.4, 0.6], [0.85, 0.6], [0.85, 1], [0.4, 1]]}"""
SIDE_BY_SIDE = """\
          - {id: staff, kind: staff, counter: table, polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.45], [0.1, 0.45]]}
          - {id: front, kind: service, counter: table, polygon: [[0.4, 0.1], [0.7, 0.1], [0.7, 0.45], [0.4, 0.45]]}"""
RTSP = "rtsp://127.0.0.1:8554/cam"


def site(url, zones):
    return SITE.replace("URL", url).replace("ZONES", zones)


def warnings(zones=SIDE_BY_SIDE, url=RTSP, env=None):
    text = site(url, zones)
    return [(w.line, w.path, w.message) for w in load_config_text(text, env=env or {}).warnings]


def test_a_staff_zone_above_its_front_zone_warns_at_the_staff_zone():
    (line, path, message), = warnings(BEHIND)
    assert (line, path) == (9, "sites[0].cameras[0].zones[0].polygon")
    assert "staff zone 'staff' lies above service zone 'front'" in message
    assert "can have their head in 'staff'" in message


def test_side_by_side_zones_sharing_an_edge_do_not_warn():
    assert warnings(SIDE_BY_SIDE) == []


def test_overlapping_staff_and_front_warn_and_shared_says_roles_cannot_be_separated():
    overlap = SIDE_BY_SIDE.replace("[[0.4, 0.1], [0.7, 0.1]", "[[0.3, 0.1], [0.7, 0.1]").replace(
        "[0.7, 0.45], [0.4, 0.45]]", "[0.7, 0.45], [0.3, 0.45]]")
    (_, _, message), = warnings(overlap)
    assert "overlaps service zone 'front'" in message
    shared = BEHIND.replace("counter: table, polygon: [[0.45", "counter: table, shared: true, polygon: [[0.45")
    (_, _, message), = warnings(shared)
    assert "shared: true" in message and "cannot separate" in message


def test_tiny_zone_warns():
    tiny = SIDE_BY_SIDE + "\n          - {id: dot, kind: queue, polygon: [[0.5, 0.5], [0.55, 0.5], [0.55, 0.55]]}"
    (line, path, message), = warnings(tiny)
    assert path == "sites[0].cameras[0].zones[2].polygon" and line == 11
    assert "covers 0.13% of the frame" in message  # 0.05 x 0.05 / 2


def test_missing_video_file_warns(tmp_path):
    (_, path, message), = warnings(url=str(tmp_path / "nope.mp4"))
    assert path == "sites[0].cameras[0].url" and "does not exist" in message
    video = tmp_path / "there.mp4"
    video.write_bytes(b"")
    assert warnings(url=str(video)) == []
    assert warnings(url=f"file://{video}") == []


def test_password_in_clear_warns_but_env_reference_does_not():
    (_, path, message), = warnings(url="rtsp://viewer:hunter22@127.0.0.1/cam")
    assert path == "sites[0].cameras[0].url" and "written in clear" in message and "hunter22" not in message
    assert warnings(url="rtsp://viewer:${CAM_PW}@127.0.0.1/cam", env={"CAM_PW": "hunter22"}) == []
    assert warnings(url="rtsp://viewer@127.0.0.1/cam") == []


def test_check_config_prints_warnings_and_exits_0(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(site("rtsp://viewer:hunter22@127.0.0.1/cam", BEHIND))
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len([ln for ln in lines if ": warning: " in ln]) == 2
    assert lines[-1].endswith("OK (1 site(s), 1 camera(s), 2 zone(s))")
    assert "hunter22" not in out

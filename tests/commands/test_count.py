"""count: one JSON line per image, zone counts with --config, errors reported per image, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitor.cli import build_parser, main
from monitor.commands.count import detector_overrides, iter_images, mode_kinds, whole_frame_mode
from monitor.config import DetectorConfig
from tests.support.paths import CLASSROOM, REPO

IMG = CLASSROOM / "images"


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_command_is_discovered_with_its_options() -> None:
    args = build_parser().parse_args(["count", "--mode", "head", "--imgsz", "960", "a.jpg", "b/"])
    assert (args.command, args.mode, args.imgsz, args.paths) == ("count", "head", 960, ["a.jpg", "b/"])


def test_folders_are_read_in_name_order_and_bad_paths_reported(tmp_path: Path) -> None:
    (tmp_path / "b.JPG").write_bytes(b"x")
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    (tmp_path / "empty").mkdir()
    got = list(iter_images([str(tmp_path), str(tmp_path / "notes.txt"), str(tmp_path / "empty"),
                            str(tmp_path / "gone.jpg")]))
    assert got == [(str(tmp_path / "a.png"), None), (str(tmp_path / "b.JPG"), None),
                   (str(tmp_path / "notes.txt"), None),  # an explicit file is tried whatever its suffix
                   (str(tmp_path / "empty"), "no images in this folder"),
                   (str(tmp_path / "gone.jpg"), "no such file or folder")]


def test_whole_frame_mode() -> None:
    cfg = DetectorConfig.model_validate({})
    assert [whole_frame_mode(m, cfg) for m in ("person", "head", "fused", "auto")] == \
        ["person", "head", "fused", "fused"]
    no_head = DetectorConfig.model_validate({"head_model": None})
    assert whole_frame_mode("auto", no_head) == "person"
    assert mode_kinds("fused") == {"person", "head"} and mode_kinds("head") == {"head"}


def test_imgsz_and_conf_reach_every_model_and_head_flags_override() -> None:
    base = DetectorConfig.model_validate({})
    args = build_parser().parse_args(["count", "--imgsz", "640", "--conf", "0.25", "x.jpg"])
    cfg = detector_overrides(args, base, "fused")
    assert (cfg.imgsz, cfg.conf, cfg.head_imgsz, cfg.head_conf) == (640, 0.25, 640, 0.25)
    args = build_parser().parse_args(["count", "--imgsz", "800", "--head-imgsz", "1280", "--head-conf", "0.4",
                                      "x.jpg"])
    cfg = detector_overrides(args, base, "fused")
    assert (cfg.imgsz, cfg.conf, cfg.head_imgsz, cfg.head_conf) == (800, 0.25, 1280, 0.4)
    cfg = detector_overrides(build_parser().parse_args(["count", "x.jpg"]), base, "fused")
    assert (cfg.imgsz, cfg.conf, cfg.head_imgsz, cfg.head_conf) == (640, 0.25, 960, 0.3)  # service defaults
    with pytest.raises(ValueError):
        detector_overrides(build_parser().parse_args(["count", "--head-conf", "1.5", "x.jpg"]), base, "head")


@pytest.mark.slow
def test_cli_prints_clean_json_lines_and_exits_1_on_a_bad_image(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_text("this is not a JPEG")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "monitor", "count", "--mode", "person",
                          str(IMG / "PartA_00128.jpg"), str(bad),
                          str(IMG / "PartA_00224.jpg")], capture_output=True, text=True, cwd=REPO, env=env)
    assert out.returncode == 1, out.stderr
    rows = lines(out.stdout)  # every stdout line is JSON: Ultralytics' log lines went to stderr
    assert rows == [{"image": str(IMG / "PartA_00128.jpg"), "people": 1, "mode": "person"},
                    {"image": str(bad), "error": "not a readable image"},
                    {"image": str(IMG / "PartA_00224.jpg"), "people": rows[2]["people"], "mode": "person"}]
    assert 2 <= rows[2]["people"] <= 3  # three people at the front, one in a dark doorway (checked by eye)
    assert (tmp_path / "cache" / "onestop-monitor" / "ultralytics").is_dir()  # default state dir


CONFIG = """\
    sites:
      - id: truong
        name: "Giảng đường"
        timezone: Asia/Ho_Chi_Minh
        hours: {mon-fri: ["07:30-17:00"]}
        cameras:
          - id: room-403
            url: %s
            zones:
              - {id: lectern, kind: queue, polygon: [[0.1, 0.6], [0.4, 0.6], [0.4, 1], [0.1, 1]]}
              - {id: seats, kind: queue, polygon: [[0.45, 0.2], [1, 0.2], [1, 0.7], [0.45, 0.7]]}
          - id: other
            url: %s
    """


@pytest.mark.slow
def test_config_zones_are_counted_per_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(textwrap.dedent(CONFIG % (IMG / "PartA_00048.jpg", IMG / "PartA_00128.jpg")))
    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ("PartA_00048.jpg", "PartA_00128.jpg"):
        (folder / name).symlink_to(IMG / name)
    code = main(["count", "--mode", "person", "--config", str(config), "--camera", "room-403",
                 "--state-dir", str(tmp_path / "s"), str(folder)])
    assert code == 0
    rows = lines(capsys.readouterr().out)
    assert [r["image"] for r in rows] == [str(folder / "PartA_00048.jpg"), str(folder / "PartA_00128.jpg")]
    lecture, empty = rows
    # 00048: the lecturer stands at the lectern (left), 13 students sit on the right behind desks.
    assert lecture["zones"]["lectern"] == 1
    assert 3 <= lecture["zones"]["seats"] <= 13
    assert lecture["zones"]["lectern"] + lecture["zones"]["seats"] <= lecture["people"] <= 14
    # 00128: one cleaner by the window at the back left, in neither zone.
    assert empty == {"image": str(folder / "PartA_00128.jpg"), "people": 1, "mode": "person",
                     "zones": {"lectern": 0, "seats": 0}}


def test_setup_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(textwrap.dedent(CONFIG % ("a.jpg", "b.jpg")))
    state = ["--state-dir", str(tmp_path / "s")]
    assert main(["count", "--config", str(config), *state, str(IMG)]) == 2
    assert "--camera is needed: the config has 2 cameras (room-403, other)" in capsys.readouterr().err
    assert main(["count", "--camera", "room-403", *state, str(IMG)]) == 2
    assert "--camera needs --config" in capsys.readouterr().err
    no_head = tmp_path / "no-head.yaml"
    no_head.write_text("detector: {head_model: null}\n" + textwrap.dedent(CONFIG % ("a.jpg", "b.jpg")))
    assert main(["count", "--mode", "head", "--config", str(no_head), "--camera", "room-403", *state, str(IMG)]) == 2
    assert "detector.head_model is not set" in capsys.readouterr().err
    assert main(["count", "--model", "yolo99.pt", *state, str(IMG)]) == 2
    assert "neither a known name" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [{id: x}]\n")
    assert main(["count", "--config", str(bad), *state, str(IMG)]) == 2
    assert capsys.readouterr().out == ""

"""Bundled OpenVINO exports (models/exported/): recorded, hash-checked, chosen by auto on a CPU, count like the .pt."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.config import DetectorConfig
from monitor.detect import build_detectors
from monitor.detect.choose import bundled_export
from monitor.detect.models import MODELS_DIR, load_registry, sha256_tree
from monitor.detect.openvino_backend import read_openvino_meta
from tests.support.paths import CLASSROOM, REPO

sys.path.insert(0, str(MODELS_DIR))
export_openvino = pytest.importorskip("export_openvino")

IMAGES = ["PartA_00000.jpg", "PartA_00048.jpg", "PartA_00096.jpg", "PartA_00224.jpg"]


def exports() -> dict[str, object]:
    return {i.name: i for i in load_registry().values() if i.export_of}


def test_every_pt_model_has_a_recorded_dynamic_export() -> None:
    reg = load_registry()
    made_from = {i.export_of for i in exports().values()}  # type: ignore[attr-defined]
    assert made_from == {"yolo11n-pose.pt", "yolo11n-head.pt"}
    for info in exports().values():
        src = reg[info.export_of]  # type: ignore[attr-defined]
        folder = MODELS_DIR / info.file  # type: ignore[attr-defined]
        assert sha256_tree(folder) == info.sha256  # type: ignore[attr-defined]
        assert info.kind == src.kind and info.task == src.task  # type: ignore[attr-defined]
        assert "models/export_openvino.py" in info.source and info.licence == src.licence  # type: ignore[attr-defined]
        meta = read_openvino_meta(folder)
        assert meta.dynamic and meta.task == src.task


def test_exports_were_made_from_the_registered_pt() -> None:
    # After a .pt changes (a retrained head model), this fails until models/export_openvino.py is run again.
    assert export_openvino.stale_exports() == []


def test_stale_or_altered_export_is_reported(tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR / "exported", models / "exported")
    text = (MODELS_DIR / "models.yaml").read_text()
    head = load_registry()["yolo11n-head.pt"].sha256
    (models / "models.yaml").write_text(text.replace(f"sha256: {head}", "sha256: " + "a" * 64, 1))
    (models / "exported/yolo11n-pose_openvino_model/metadata.yaml").write_text("task: pose\n")
    problems = export_openvino.stale_exports(models / "models.yaml", models)
    assert len(problems) == 2
    assert any("yolo11n-head_openvino_model: made from yolo11n-head.pt" in p and "--model yolo11n-head.pt" in p
               for p in problems)
    assert any("yolo11n-pose_openvino_model: files of" in p for p in problems)


def test_replace_entry_keeps_every_other_line() -> None:
    text = "# top\nmodels:\n  a.pt:\n    kind: person\n    # note\n\n  b:\n    kind: head\n# tail\n"
    block = "  b:\n    kind: person\n"
    assert export_openvino.replace_entry(text, "b", block) == text.replace("  b:\n    kind: head\n", block)
    assert export_openvino.replace_entry(text, "c", "  c:\n") == text + "  c:\n"
    assert export_openvino.replace_entry(text, "a.pt", "  a.pt: {}\n") == \
        "# top\nmodels:\n  a.pt: {}\n\n  b:\n    kind: head\n# tail\n"


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="needs openvino")
def test_auto_on_cpu_runs_the_bundled_export_and_logs_the_files(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="monitor.detect.build"):
        dets = build_detectors(DetectorConfig.model_validate({}), {"person", "head"}, tmp_path)
    assert {k: type(v).__name__ for k, v in dets.items()} == {"person": "OpenVINODetector",
                                                              "head": "OpenVINODetector"}
    lines = {r.getMessage(): r for r in caplog.records}
    pose = lines["person model yolo11n-pose_openvino_model runs on openvino (auto: bundled export of yolo11n-pose.pt)"]
    assert pose.model_file == str(MODELS_DIR / "exported/yolo11n-pose_openvino_model")  # type: ignore[attr-defined]
    assert pose.sha256 == load_registry()["yolo11n-pose_openvino_model"].sha256  # type: ignore[attr-defined]
    assert dets["head"].imgsz == (960, 960)  # the head model's own size still applies (dynamic graph)
    # Other devices and backends are left alone: the .pt runs there.
    assert bundled_export(DetectorConfig.model_validate({"device": "cuda"}), "yolo11n-pose.pt")[0] is None
    assert bundled_export(DetectorConfig.model_validate({"backend": "ultralytics"}), "yolo11n-pose.pt")[0] is None
    assert bundled_export(DetectorConfig.model_validate({"backend": "openvino"}), "yolo11n-pose")[0] is not None


def test_altered_or_stale_export_is_not_used(tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR, models, ignore=shutil.ignore_patterns("work", "*.pt", "train_head_runs"))
    (models / "exported/yolo11n-pose_openvino_model/yolo11n-pose.xml").write_text("<net/>")
    reg = load_registry(models / "models.yaml")
    choice, why = bundled_export(DetectorConfig.model_validate({}), "yolo11n-pose.pt", registry=reg,
                                 models_dir=models)
    assert choice is None and "corrupted or replaced" in why and "export_openvino.py --model yolo11n-pose.pt" in why
    # A retrained .pt whose export was not re-made: the export is refused with the command that re-makes it.
    head = reg["yolo11n-head.pt"].sha256
    (models / "models.yaml").write_text((models / "models.yaml").read_text().replace(head, "b" * 64, 1))
    reg = load_registry(models / "models.yaml")
    choice, why = bundled_export(DetectorConfig.model_validate({}), "yolo11n-head.pt", registry=reg,
                                 models_dir=models)
    assert choice is None and "made from another yolo11n-head.pt" in why and "--model yolo11n-head.pt" in why


@pytest.mark.slow
def test_bundled_export_counts_like_the_pt(tmp_path: Path) -> None:
    images = [cv2.imread(str(CLASSROOM / "images" / n)) for n in IMAGES]
    assert all(isinstance(i, np.ndarray) for i in images)
    ours = build_detectors(DetectorConfig.model_validate({}), {"person"}, tmp_path)["person"]
    pt = build_detectors(DetectorConfig.model_validate({"backend": "ultralytics"}), {"person"}, tmp_path)["person"]
    a = [len(d) for d in ours.predict(images)]
    # Frame by frame: Ultralytics letterboxes a batch of .pt inputs differently from a single frame.
    b = [len(pt.predict([image])[0]) for image in images]
    assert sum(b) >= 10
    assert all(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)), (a, b)
    # The head model at its own size and confidence (960, 0.3): dozens of heads per frame, within 2%.
    ours = build_detectors(DetectorConfig.model_validate({}), {"head"}, tmp_path)["head"]
    pt = build_detectors(DetectorConfig.model_validate({"backend": "ultralytics"}), {"head"}, tmp_path)["head"]
    assert type(ours).__name__ == "OpenVINODetector" and type(pt).__name__ == "UltralyticsDetector"
    a = [len(ours.predict([image])[0]) for image in images]
    b = [len(pt.predict([image])[0]) for image in images]
    assert sum(b) >= 50
    assert all(abs(x - y) <= max(1, 0.02 * y) for x, y in zip(a, b, strict=True)), (a, b)


def test_repo_has_no_scratch_exports() -> None:
    assert not (REPO / "models" / "exported" / ".export").exists()

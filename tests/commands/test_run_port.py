"""run on a port already in use: one clear error line before the model loads; make demo PORT=... picks the port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from tests.support.paths import REPO


def test_port_in_use_is_one_error_line_before_the_model_loads() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        res = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(REPO / "configs" / "demo.yaml"),
                              "--port", str(port)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert res.returncode == 2
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [ln["level"] for ln in lines] == ["error"], res.stdout  # nothing loaded, nothing served
    assert lines[0]["msg"] == (f"cannot listen on 127.0.0.1:{port}: Address already in use; stop the program that "
                               f"holds it or choose another port (--port, service.port)")
    assert res.stderr == ""


def test_make_demo_takes_a_port() -> None:
    res = subprocess.run(["make", "-n", "demo", "PORT=8099"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert res.stdout.strip().splitlines()[-1].endswith("run --config configs/demo.yaml --port 8099")
    res = subprocess.run(["make", "-n", "demo"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert res.stdout.strip().splitlines()[-1].endswith("run --config configs/demo.yaml")

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


def _make_dry_run(*args: str) -> str:
    """Return the last command `make -n` would run (a parent make, as in CI, adds 'make[1]: ...' lines)."""
    res = subprocess.run(["make", "--no-print-directory", "-n", *args], capture_output=True, text=True, cwd=REPO,
                         timeout=60)
    return [ln for ln in res.stdout.strip().splitlines() if not ln.startswith("make")][-1]


def test_make_demo_takes_a_port() -> None:
    assert _make_dry_run("demo", "PORT=8099").endswith("run --config configs/demo.yaml --port 8099")
    assert _make_dry_run("demo").endswith("run --config configs/demo.yaml")

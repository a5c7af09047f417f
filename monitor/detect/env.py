"""Keep Ultralytics offline, with its settings in the service's state directory; call before importing it."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# Names Ultralytics' plotting code looks up in its config dir before it tries to download them (check_font).
_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")


def _bundled_font() -> Path | None:
    """Return matplotlib's DejaVuSans.ttf (covers Vietnamese diacritics) without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    font = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return font if font.is_file() else None


def _write_settings(user_dir: Path) -> None:
    """Write settings.json with sync (analytics, crash reports) and online integrations off, dirs in user_dir.

    The keys are those of Ultralytics' settings schema 0.0.8 (ultralytics 8.3-8.4), so it accepts the file
    without rewriting it; a later schema keeps every valid value we wrote and adds its new keys itself.
    """
    path = user_dir / "settings.json"
    settings: dict[str, object] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text())
            settings = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            settings = {}  # Ultralytics would reset a corrupt file too
    offline = {key: False for key in ("sync", "clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard",
                                      "wandb", "vscode_msg", "openvino_msg")}
    if settings and all(settings.get(k) == v for k, v in offline.items()):
        return
    defaults: dict[str, object] = {
        "settings_version": "0.0.8",
        # Anything Ultralytics might write (runs of an export, datasets) stays in the state dir, not the cwd.
        "datasets_dir": str(user_dir / "datasets"), "weights_dir": str(user_dir / "weights"),
        "runs_dir": str(user_dir / "runs"),
        "uuid": "offline", "api_key": "", "openai_api_key": "",
    }
    path.write_text(json.dumps({**defaults, **settings, **offline}, indent=2))


def default_state_dir() -> Path:
    """Return the per-user folder for Ultralytics' settings when no config names a state_dir (CLI tools)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "onestop-monitor"


def prepare_ultralytics_env(state_dir: Path | str) -> Path:
    """Make Ultralytics work offline with its settings under ``<state_dir>/ultralytics``; return that folder.

    Sets YOLO_OFFLINE=1 (no DNS probe, no downloads of weights), YOLO_AUTOINSTALL=false (no pip installs from
    export or backend checks), YOLO_CONFIG_DIR (and MPLCONFIGDIR unless set), turns off settings sync and
    analytics, and puts a local font where Ultralytics would otherwise download Arial.ttf. Must run before
    the first ``import ultralytics``: the library reads these variables once at import. Calling it again is
    harmless.
    """
    config_dir = Path(state_dir).expanduser().resolve() / "ultralytics"
    config_dir.mkdir(parents=True, exist_ok=True)
    if "ultralytics" in sys.modules:
        imported_dir = os.environ.get("YOLO_CONFIG_DIR")
        if imported_dir is None or Path(imported_dir).resolve() != config_dir:
            # Too late to redirect its settings; still set the variables for child processes and say so.
            log.warning("ultralytics was imported before prepare_ultralytics_env(); its settings stay in %s",
                        imported_dir or "the user's config dir")
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    # Ultralytics imports matplotlib (fonts, plots): keep its cache here too, not in a maybe read-only home.
    os.environ.setdefault("MPLCONFIGDIR", str(config_dir / "matplotlib"))
    # Ultralytics keeps its files in YOLO_CONFIG_DIR/Ultralytics (get_user_config_dir(sub_dir="Ultralytics")).
    user_dir = config_dir / "Ultralytics"
    user_dir.mkdir(exist_ok=True)
    _write_settings(user_dir)
    font = _bundled_font()
    if font is not None:
        for name in _FONT_NAMES:
            target = user_dir / name
            if not target.exists():
                shutil.copyfile(font, target)
    return config_dir


def ultralytics_logs_to_stderr() -> None:
    """Send Ultralytics' log lines to stderr, so commands printing results (JSON lines) keep stdout clean.

    Ultralytics logs to stdout through its own handler. This imports it: call prepare_ultralytics_env first.
    Without Ultralytics (the runtime install) there is nothing to redirect.
    """
    if importlib.util.find_spec("ultralytics") is None:
        return
    import ultralytics.utils  # noqa: F401 - sets up the "ultralytics" logger

    for handler in logging.getLogger("ultralytics").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stdout, sys.__stdout__):
            handler.setStream(sys.stderr)


@contextmanager
def openvino_telemetry_off() -> Iterator[None]:
    """Keep OpenVINO from sending usage telemetry (and writing ~/intel/) while the block runs.

    ``import openvino`` and its model converter post usage events from a forked process unless a consent file
    in the home folder says no; their documented switch for unattended runs is CI=true (``disable_in_ci``),
    scoped here so nothing else in the process sees it. The decision sticks to OpenVINO's telemetry singleton.
    """
    old = os.environ.get("CI")
    os.environ["CI"] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("CI", None)
        else:
            os.environ["CI"] = old


def import_openvino_quietly() -> None:
    """Import openvino with telemetry off, before Ultralytics imports it to run an OpenVINO model."""
    if "openvino" in sys.modules or importlib.util.find_spec("openvino") is None:
        return
    with openvino_telemetry_off():
        import openvino  # noqa: F401

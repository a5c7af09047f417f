"""Make the bundled OpenVINO exports (models/exported/) from the hash-checked .pt models and record them in models.yaml.

Run it after a .pt model changes (e.g. a retrained yolo11n-head.pt):

    .venv/bin/python models/export_openvino.py            # every .pt model in models.yaml
    .venv/bin/python models/export_openvino.py --model yolo11n-head.pt
    .venv/bin/python models/export_openvino.py --check    # exit 1 when an export is stale or altered

Each export is dynamic (any batch, any input size, so 16:9 frames run at 384x640), fp16 weights (half the
size; OpenVINO computes in fp32 on a CPU), offline (nothing downloaded). Its models.yaml entry records the
folder's sha256, the sha256 of the .pt it was made from (``source_sha256``) and how it was made; only the
export entries are rewritten, every other line of models.yaml stays as it is. The service uses an export only
while its ``source_sha256`` equals the registry's sha256 of the .pt, so a retrained model whose export was not
re-made falls back to the .pt (full install) or is refused (runtime install) with this command as the fix.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
REPO = MODELS_DIR.parent
REGISTRY = MODELS_DIR / "models.yaml"
EXPORT_DIR = MODELS_DIR / "exported"
IMGSZ = 640  # only the size the graph is traced at: the export is dynamic

sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class ExportEntry:
    """The models.yaml entry of one bundled export."""

    name: str
    kind: str
    task: str
    folder: str  # relative to models/
    sha256: str
    export_of: str
    source_sha256: str
    source: str
    licence: str

    def to_yaml(self) -> str:
        """Render the entry as it sits under ``models:`` (two-space indent)."""
        return (f"  {self.name}:\n"
                f"    kind: {self.kind}\n"
                f"    task: {self.task}\n"
                f"    format: openvino\n"
                f"    file: {self.folder}\n"
                f"    sha256: {self.sha256}\n"
                f"    export_of: {self.export_of}\n"
                f"    source_sha256: {self.source_sha256}\n"
                f"    source: >-\n"
                + "".join(f"      {line}\n" for line in _wrap(self.source, 104))
                + f"    licence: {self.licence}\n"
                f"    restore: .venv/bin/python models/export_openvino.py --model {self.export_of}\n")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def replace_entry(text: str, name: str, block: str) -> str:
    """Return models.yaml text with entry ``name`` replaced by ``block`` (appended under models: when new).

    An entry runs from its ``  name:`` line to the next non-blank line indented two spaces or less (comments
    indented deeper belong to it). Everything else is kept byte for byte.
    """
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^  {re.escape(name)}:\s*$")
    start = next((i for i, ln in enumerate(lines) if head.match(ln.rstrip("\n"))), None)
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return "".join(lines) + block
    end = start + 1
    while end < len(lines):
        ln = lines[end]
        if ln.strip() and len(ln) - len(ln.lstrip(" ")) <= 2:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # blank lines after the entry are not part of it
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def stale_exports(registry: Path = REGISTRY, models_dir: Path = MODELS_DIR) -> list[str]:
    """Return one line per export entry that no longer matches its source model or its own files."""
    from monitor.detect.models import ModelError, load_registry, model_file, sha256_tree

    reg = load_registry(registry)
    problems: list[str] = []
    for info in {i.name: i for i in reg.values()}.values():
        if not info.export_of:
            continue
        src = reg.get(info.export_of)
        fix = f"run: .venv/bin/python models/export_openvino.py --model {info.export_of}"
        if src is None:
            problems.append(f"{info.name}: export_of {info.export_of!r} is not in models.yaml")
            continue
        if info.source_sha256 != src.sha256:
            problems.append(f"{info.name}: made from {info.export_of} sha256 {info.source_sha256}, but models.yaml "
                            f"now has {src.sha256}; {fix}")
        try:
            folder = model_file(info, models_dir)
        except ModelError as exc:
            problems.append(str(exc))
            continue
        if not folder.is_dir():
            problems.append(f"{info.name}: {folder} is missing; {fix}")
        elif sha256_tree(folder) != info.sha256:
            problems.append(f"{info.name}: files of {folder} do not match its sha256; {fix}")
    return problems


def export_one(name: str, work: Path) -> ExportEntry:
    """Export one registry .pt model (verified by its sha256 first) into models/exported/."""
    from monitor.commands.export import export_model
    from monitor.detect.models import load_registry, resolve_model, sha256_tree

    info = load_registry()[name]
    resolved = resolve_model(info.name)  # raises when the .pt is missing or its sha256 differs from models.yaml
    source = Path(resolved.path)
    if source.suffix != ".pt":
        raise SystemExit(f"{name}: not a .pt model")
    tmp_out = Path(tempfile.mkdtemp(prefix="openvino-", dir=work))
    made = export_model(source, "openvino", tmp_out, imgsz=IMGSZ, half=True, dynamic=True)
    target = EXPORT_DIR / made.name
    EXPORT_DIR.mkdir(exist_ok=True)
    if target.exists():
        for f in sorted(target.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        target.rmdir()
    made.rename(target)
    tmp_out.rmdir()
    import openvino
    import ultralytics

    digest = str(resolved.sha256)
    how = (f"OpenVINO IR of {info.name} (sha256 {digest[:12]}..., see its entry), made by "
           f"models/export_openvino.py: Ultralytics {ultralytics.__version__} exporter, OpenVINO "
           f"{openvino.get_version().split('-')[0]}, dynamic batch and input size (traced at {IMGSZ}), fp16 weights, "
           f"Python {platform.python_version()}")
    return ExportEntry(name=target.name, kind=info.kind, task=info.task, folder=f"exported/{target.name}",
                       sha256=sha256_tree(target), export_of=info.name, source_sha256=digest,
                       source=how, licence=info.licence)


def main(argv: list[str] | None = None) -> int:
    """Export the models asked for (default: every .pt in models.yaml) or check the recorded exports."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", help="registry name of a .pt model (repeatable; default all)")
    p.add_argument("--check", action="store_true", help="only check that every export matches its source")
    args = p.parse_args(argv)
    if args.check:
        problems = stale_exports()
        for line in problems:
            print(line, file=sys.stderr)
        print("exports: " + ("stale" if problems else "up to date"))
        return 1 if problems else 0

    from monitor.detect.env import prepare_ultralytics_env
    from monitor.detect.models import load_registry

    work = MODELS_DIR / "work" / "export"  # git-ignored, like train_head.py's work folder
    work.mkdir(parents=True, exist_ok=True)
    prepare_ultralytics_env(work / "state")
    os.environ.setdefault("HOME", str(work))
    reg = load_registry()
    names = args.model or sorted({i.name for i in reg.values() if i.file.endswith(".pt") and not i.export_of})
    for name in names:
        if name not in reg:
            print(f"unknown model {name!r}; known: {', '.join(sorted(reg))}", file=sys.stderr)
            return 2
        entry = export_one(reg[name].name, work)
        REGISTRY.write_text(replace_entry(REGISTRY.read_text(encoding="utf-8"), entry.name, entry.to_yaml()),
                            encoding="utf-8")
        print(f"{entry.folder}: sha256 {entry.sha256} (from {entry.export_of} {entry.source_sha256[:12]}...)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

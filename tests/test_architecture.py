"""The import rules of docs/ARCHITECTURE.md, read from the source with `ast` (no module is imported).

A rule is about a module's own import statements, wherever they stand (top level, inside a function, under
TYPE_CHECKING): importing `monitor.config` still runs its package's `__init__`, so the rules say who depends on
whom, not what ends up loaded.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.support.paths import REPO

PACKAGE = REPO / "monitor"
DOC = REPO / "docs" / "ARCHITECTURE.md"
MAX_LINES = 300
TABLE_HEADING = "## Parts and what they may import"

# What each part may import from `monitor`: a package (`detect`) or one module of it (`detect.detections`),
# besides its own modules and the root (`monitor.__version__`). The table in docs/ARCHITECTURE.md says the same.
MAY_IMPORT: dict[str, set[str]] = {
    "config": {"redact"},
    "redact": set(),
    "logs": {"redact"},
    "memory": set(),
    "evaluate": set(),
    "storage": set(),
    "schedule": {"config"},
    "state": {"config", "schedule"},
    "zones": {"config", "detect.detections"},
    "detect": {"config", "redact"},
    "sources": {"config", "redact"},
    "view": {"config", "detect.detections", "state"},
    "annotate": {"config", "detect.detections", "zones"},
    "metrics": {"config", "state"},
    "alerts": {"config", "metrics", "redact", "schedule", "state", "storage"},
    "privacy": {"alerts.notification", "annotate", "config"},
    "pipeline": {"alerts.notification", "annotate", "config", "detect", "metrics", "privacy", "schedule",
                 "sources", "state", "view", "zones"},
    "reports": {"alerts", "config", "metrics", "pipeline.events", "redact", "schedule", "state", "storage"},
    "console": set(),
    "api": {"alerts", "annotate", "config", "console", "detect.detections", "metrics", "pipeline.readonly",
            "redact", "reports", "sources", "state", "zones"},
    "reload": {"api", "config", "pipeline", "redact"},
    "commands": {"alerts", "annotate", "api", "config", "detect", "evaluate", "logs", "memory", "metrics",
                 "pipeline", "redact", "reload", "reports", "schedule", "sources", "state", "zones"},
    "cli": {"commands"},
    "__main__": {"cli"},
}

# Libraries that only some parts may import (any other library, numpy and pydantic included, is free to use).
RESTRICTED = {"apscheduler", "av", "cv2", "fastapi", "httpx", "onnxruntime", "openpyxl", "openvino", "smtplib",
              "sqlite3", "starlette", "torch", "torchvision", "ultralytics", "uvicorn"}
MAY_USE: dict[str, set[str]] = {
    "config": {"cv2"},
    "storage": {"sqlite3"},
    "detect": {"cv2", "httpx", "onnxruntime", "openvino", "torch", "torchvision", "ultralytics"},
    "sources": {"av", "cv2", "httpx"},
    "view": {"cv2"},
    "annotate": {"cv2"},
    "alerts": {"httpx", "sqlite3"},
    "pipeline": {"apscheduler"},
    "reports": {"openpyxl", "smtplib", "sqlite3"},
    "console": {"fastapi", "starlette"},
    "api": {"fastapi"},
    "commands": {"av", "cv2", "ultralytics", "uvicorn"},
}

# The pure core: functions of their inputs. No I/O, no threads, no clock (`now` is passed in). A whole package
# (`zones`) or one module (`alerts.rules`).
CORE = {"zones", "state", "schedule", "detect.detections", "config.reload_plan", "alerts.rules", "alerts.rule_state",
        "alerts.rule_messages", "alerts.conditions",
        "alerts.notification", "alerts.texts", "alerts.summary", "alerts.payloads", "reports.figures",
        "reports.rows", "reports.fields", "reports.periods", "reports.ranking", "reports.accumulate"}
# Stateful parts of the core that other threads call: they may hold a lock, never start a thread.
CORE_LOCKS = {"state.tracker", "schedule.calendar"}
CORE_FORBIDDEN = RESTRICTED | {"asyncio", "concurrent", "multiprocessing", "os", "pathlib", "prometheus_client",
                               "shutil", "socket", "subprocess", "tempfile", "threading", "time"}
CORE_MAY_NOT_IMPORT = {"api", "commands", "console", "metrics", "privacy", "reload", "sources", "storage", "view"}
CLOCK_READS = {"now", "utcnow", "today"}
# The pipeline's tick record is the one pipeline module the core may name (the report accumulator folds ticks).
CORE_PIPELINE = {"pipeline.events"}


@dataclass(frozen=True)
class Import:
    """One imported name: a `monitor` module path without the `monitor.` prefix, or a library's top name."""

    target: str
    internal: bool
    line: int


@dataclass(frozen=True)
class Module:
    """A module of `monitor/`: dotted name without `monitor.`, the part (package or top-level module) it is in."""

    path: Path
    name: str
    part: str
    tree: ast.Module

    @property
    def rel(self) -> str:
        return self.path.relative_to(REPO).as_posix()


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _name(path)
        if name:  # the root __init__ holds only the version
            found.append(Module(path, name, name.split(".")[0], ast.parse(path.read_text(), str(path))))
    return found


@cache
def _known() -> frozenset[str]:
    return frozenset(m.name for m in modules())


def imports(mod: Module) -> list[Import]:
    """Return every import of ``mod``, relative ones resolved; ``from pkg import submodule`` names the submodule."""
    found: list[Import] = []

    def internal(dotted: str, line: int) -> None:
        found.append(Import(dotted.removeprefix("monitor").removeprefix("."), True, line))

    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "monitor" or alias.name.startswith("monitor."):
                    internal(alias.name, node.lineno)
                else:
                    found.append(Import(alias.name.split(".")[0], False, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = mod.name.split(".") if mod.path.name == "__init__.py" else mod.name.split(".")[:-1]
                base = ".".join(["monitor", *package[:len(package) - node.level + 1], *filter(None, [node.module])])
            elif node.module == "monitor" or (node.module or "").startswith("monitor."):
                base = node.module or ""
            else:
                found.append(Import((node.module or "").split(".")[0], False, node.lineno))
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}".removeprefix("monitor.")
                internal(f"monitor.{sub}" if sub in _known() else base, node.lineno)
    return found


def _covers(entries: set[str], name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in entries)


def _report(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def test_every_part_has_a_row_in_the_table() -> None:
    parts = {m.part for m in modules()}
    _report([f"monitor/{p}: add it to MAY_IMPORT here and to the table in docs/ARCHITECTURE.md"
             for p in sorted(parts - set(MAY_IMPORT))])


def test_each_part_imports_only_what_the_table_allows() -> None:
    problems = []
    for mod in modules():
        allowed = MAY_IMPORT.get(mod.part, set()) | {mod.part, ""}
        for imp in imports(mod):
            if imp.internal and not _covers(allowed, imp.target):
                problems.append(f"{mod.rel}:{imp.line} imports monitor.{imp.target}; {mod.part} may import only "
                                f"{', '.join(sorted(MAY_IMPORT.get(mod.part, ()))) or 'its own modules'}")
    _report(problems)


def test_heavy_libraries_stay_in_their_parts() -> None:
    problems = []
    for mod in modules():
        for imp in imports(mod):
            if not imp.internal and imp.target in RESTRICTED - MAY_USE.get(mod.part, set()):
                problems.append(f"{mod.rel}:{imp.line} imports {imp.target}; only "
                                f"{', '.join(sorted(p for p, libs in MAY_USE.items() if imp.target in libs))} may")
    _report(problems)


def test_the_pure_core_does_no_io_starts_no_thread_and_reads_no_clock() -> None:
    problems = []
    for mod in modules():
        if not _covers(CORE, mod.name):
            continue
        forbidden = CORE_FORBIDDEN - ({"threading"} if mod.name in CORE_LOCKS else set())
        for imp in imports(mod):
            if imp.internal:
                bad = _covers(CORE_MAY_NOT_IMPORT, imp.target) or (
                    imp.target.startswith("pipeline") and not _covers(CORE_PIPELINE, imp.target))
            else:
                bad = imp.target in forbidden
            if bad:
                what = f"monitor.{imp.target}" if imp.internal else imp.target
                problems.append(f"{mod.rel}:{imp.line} imports {what}; the pure core does no I/O, runs no thread, "
                                f"reads no clock")
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if called in CLOCK_READS and isinstance(node.func, ast.Attribute):
                problems.append(f"{mod.rel}:{node.lineno} calls .{called}(); the core takes `now` as an argument")
            elif called in ("Thread", "Timer"):
                problems.append(f"{mod.rel}:{node.lineno} starts a thread; the core runs on its callers' threads")
    _report(problems)


def test_the_package_imports_no_tool_beside_it() -> None:
    tools = {"benchmarks", "tests", "conftest", "scripts"}
    _report([f"{mod.rel}:{imp.line} imports {imp.target}; the package must run without the repository's tools"
             for mod in modules() for imp in imports(mod) if not imp.internal and imp.target in tools])


def test_no_module_is_longer_than_300_lines() -> None:
    long = [(len(m.path.read_text().splitlines()), m.rel) for m in modules()]
    _report([f"{rel} has {n} lines (at most {MAX_LINES}): split it by what its parts do"
             for n, rel in sorted(long, reverse=True) if n > MAX_LINES])


def _doc_table() -> dict[str, tuple[set[str], set[str]]]:
    """Return part -> (monitor imports, restricted libraries) from the doc's package table."""
    rows: dict[str, tuple[set[str], set[str]]] = {}
    section = DOC.read_text().split(TABLE_HEADING, 1)[-1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        ticked = [re.findall(r"`([^`]+)`", c) for c in (cells[0], cells[2], cells[3])]
        for part in ticked[0]:
            rows[part.removesuffix("/").removesuffix(".py")] = (set(ticked[1]), set(ticked[2]))
    return rows


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_the_doc_table_states_the_same_rules(part: str) -> None:
    table = _doc_table()
    assert part in table, f"docs/ARCHITECTURE.md has no row for {part}"
    parts, libraries = table[part]
    assert parts == MAY_IMPORT[part], f"{part}: the doc says {sorted(parts)}, this test {sorted(MAY_IMPORT[part])}"
    uses = MAY_USE.get(part, set())
    assert libraries == uses, f"{part}: the doc lists libraries {sorted(libraries)}, this test {sorted(uses)}"

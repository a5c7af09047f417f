"""Parse YAML config text and locate problems in it: Issue, ConfigError, the line of a path, an alias-bomb guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .problem import Loc

MAX_NODES = 200_000  # a config this big is a mistake or an alias bomb ("billion laughs"); refuse it


@dataclass(frozen=True)
class Issue:
    """A problem located in the file: 'sites[0].cameras[1].zones[2].counter' at line 17."""

    path: str
    line: int | None
    message: str
    warning: bool = False
    file: str | None = None  # set when the problem is in a site file of sites_dir, not the main file

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        kind = "warning" if self.warning else "error"
        return f"{kind}: {where}{self.path or '<root>'}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; ``issues`` lists every error with its path and line."""

    def __init__(self, source: str, issues: list[Issue]):
        self.source = source
        self.issues = issues
        errors = [i for i in issues if not i.warning]
        super().__init__(f"{source}: {len(errors)} error(s)\n" + "\n".join(f"  {i}" for i in errors))


def format_loc(loc: Loc) -> str:
    """Render ('sites', 0, 'cameras') as 'sites[0].cameras'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """Return the 1-based YAML line of the deepest node along loc; loc parts that are not keys are skipped."""
    node = root
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part) or (part == "for_" and k.value == "for"):
                    nxt = v if not isinstance(v, yaml.ScalarNode) or v.value != "" else k
                    best = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
        if nxt is None:
            continue  # e.g. the discriminator tag pydantic adds to union paths
        node = nxt
        best = node.start_mark.line + 1 if not isinstance(node, yaml.MappingNode) or not node.value \
            else node.value[0][0].start_mark.line + 1 if isinstance(part, int) else best
    return best


def _expanded_size(root: yaml.Node | None) -> int:
    """Return how many nodes the document has once aliases are expanded (shared subtrees counted each time)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a recursive alias counts once instead of looping
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v) for v in node.value)
        else:
            n = 1
        sizes[id(node)] = n = min(n, MAX_NODES + 1)
        return n

    return size(root) if root is not None else 0


def parse_yaml(text: str, source: str, file: str | None = None) -> tuple[yaml.Node | None, Any]:
    """Return the node tree (for lines) and the data of one YAML document; raise ConfigError on bad YAML."""
    try:
        root = yaml.compose(text)
        if _expanded_size(root) > MAX_NODES:
            raise ConfigError(source, [Issue("", 1, f"the file expands to more than {MAX_NODES} YAML nodes "
                                                    "(aliases nested too deep?)", file=file)])
        return root, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(source, [Issue("", line, f"YAML syntax: {getattr(exc, 'problem', exc)}",
                                         file=file)]) from None

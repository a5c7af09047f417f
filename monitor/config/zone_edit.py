"""Write a camera's zones back into the YAML file it came from, keeping every other byte of that file as it was.

A full YAML round trip (ruamel.yaml included) re-flows what it re-emits: flow mappings written over two lines
become one, indentation is normalised. Here only the text of the zones that changed is replaced: the position of
each zone in the file comes from the YAML parser's node marks, unchanged zones keep their exact text and the
comment lines above them, and a zone that is removed takes its comment lines with it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ZONE_KEYS = ("id", "kind", "counter", "anchor", "count_mode", "shared", "name", "polygon")
ZONE_DEFAULTS: dict[str, Any] = {"counter": None, "anchor": "auto", "count_mode": "person", "shared": False,
                                 "name": None}
DECIMALS = 4  # 1/10000 of the frame: below a pixel on a 4K picture


class ZoneEditError(Exception):
    """The camera cannot be found in the file, or its zones are written in a way this editor cannot change."""


def file_version(data: bytes) -> str:
    """Return the version of a file's content (sha256 hex), used to refuse a save over someone else's change."""
    return hashlib.sha256(data).hexdigest()


def _number(v: float) -> int | float:
    r = round(float(v), DECIMALS)
    return int(r) if r == int(r) else r


def zone_entry(zone: Mapping[str, Any]) -> dict[str, Any]:
    """Return the zone as it is written: keys in the usual order, defaults left out, coordinates rounded."""
    out: dict[str, Any] = {}
    for key in ZONE_KEYS:
        value = zone.get(key, ZONE_DEFAULTS.get(key))
        if key == "polygon":
            value = [[_number(x), _number(y)] for x, y in (value or [])]
        elif key in ZONE_DEFAULTS and value == ZONE_DEFAULTS[key]:
            continue
        out[key] = value
    return out


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    try:
        return zone_entry(a) == zone_entry(b)
    except (TypeError, ValueError):
        return False  # a malformed zone in the file: rewrite it


def _scalar(value: Any) -> str:
    """Return a value as YAML flow text (quoted only when it must be)."""
    text = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=1 << 30).strip()
    return str(text[1:-1])


def _flow_zone(entry: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in entry.items()) + "}"


def _zone_text(entry: Mapping[str, Any], indent: int, flow: bool, nl: str) -> str:
    """Return one sequence item '- ...' for a zone, starting at column ``indent``, ending with a newline."""
    pad = " " * indent
    if flow:
        return f"{pad}- {_flow_zone(entry)}{nl}"
    lines = [f"{k}: {_scalar(v)}" for k, v in entry.items()]
    return f"{pad}- {lines[0]}{nl}" + "".join(f"{pad}  {line}{nl}" for line in lines[1:])


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def _find_camera(root: yaml.Node | None, camera_id: str) -> yaml.MappingNode:
    """Return the mapping node of a camera in a main config (sites[].cameras[]) or a site file (cameras[])."""
    if root is None:
        raise ZoneEditError("the file is empty")
    containers = [root]
    sites = _get(root, "sites")
    if sites is not None and isinstance(sites[1], yaml.SequenceNode):
        containers += list(sites[1].value)
    for site in containers:
        cams = _get(site, "cameras")
        if cams is None or not isinstance(cams[1], yaml.SequenceNode):
            continue
        for cam in cams[1].value:
            ident = _get(cam, "id")
            if ident is not None and isinstance(cam, yaml.MappingNode) and ident[1].value == camera_id:
                return cam
    raise ZoneEditError(f"camera {camera_id!r} is not in this file")


def _last_end(node: yaml.Node) -> int:
    """Return the index just past a node's own text (a block collection ends with its last value, not later)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return int(node.end_mark.index)


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j + 1


@dataclass(frozen=True)
class _Item:
    start: int  # start of the line of the item's dash
    end: int  # end of the line where the item's text ends (trailing comment and newline included)
    body_end: int  # just past the item's own text
    dash_col: int
    flow: bool
    value: Any


def _items(text: str, seq: yaml.SequenceNode) -> list[_Item]:
    out = []
    for node in seq.value:
        dash = text.rfind("-", 0, node.start_mark.index)
        start = _line_start(text, dash)
        if dash < 0 or text[start:dash].strip():
            raise ZoneEditError("the zones list is written in a layout this editor cannot change; "
                                "put each zone on its own '- ' line")
        body_end = _last_end(node)
        end = _line_end(text, body_end - 1 if body_end > 0 and text[body_end - 1] == "\n" else body_end)
        snippet = textwrap.dedent(text[start:end])
        try:
            value = (yaml.safe_load(snippet) or [None])[0]
        except yaml.YAMLError:
            value = None
        out.append(_Item(start, end, body_end, dash - start, bool(getattr(node, "flow_style", False)), value))
    return out


def replace_zones(text: str, camera_id: str, zones: Sequence[Mapping[str, Any]]) -> str:
    """Return the file text with the camera's zones replaced by ``zones`` (dicts of ZoneConfig fields).

    Zones are matched by id: an unchanged zone keeps its text and the comment lines above it; a changed one is
    rewritten in place in the same style (one-line flow mapping or block mapping) keeping its end-of-line
    comment; new zones are added at the end; removed zones disappear with the comment lines above them.
    """
    nl = "\r\n" if "\r\n" in text else "\n"
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ZoneEditError(f"the file is not valid YAML: {exc}") from None
    cam = _find_camera(root, camera_id)
    entries = [zone_entry(z) for z in zones]
    found = _get(cam, "zones")
    key_col = cam.value[0][0].start_mark.column
    if found is None:
        # No zones key yet: add one after the camera's last line.
        end = _line_end(text, _last_end(cam) - 1)
        block = f"{' ' * key_col}zones:" + (nl + "".join(_zone_text(e, key_col + 2, True, nl) for e in entries)
                                              if entries else f" []{nl}")
        prefix = text[:end] if text[:end].endswith("\n") else text[:end] + nl
        return prefix + block + text[end:]
    key, seq = found
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        # zones: [] / zones: [..] / zones: (empty): write the whole value as a block list.
        end = _line_end(text, max(_last_end(seq), key.end_mark.index) - 1)
        head = text[_line_start(text, key.start_mark.index):key.end_mark.index] + ":"
        if not entries:
            return text[:_line_start(text, key.start_mark.index)] + head + f" []{nl}" + text[end:]
        body = "".join(_zone_text(e, key_col + 2, True, nl) for e in entries)
        return text[:_line_start(text, key.start_mark.index)] + head + nl + body + text[end:]
    items = _items(text, seq)
    if not entries:
        end = items[-1].end
        start = _line_start(text, key.start_mark.index)
        return text[:start] + text[start:key.end_mark.index] + f": []{nl}" + text[end:]
    dash_col, flow = items[0].dash_col, items[0].flow
    first_gap = _line_end(text, key.end_mark.index)
    gaps = [text[(first_gap if i == 0 else items[i - 1].end):it.start] for i, it in enumerate(items)]
    by_id = {it.value.get("id"): (i, it) for i, it in enumerate(items) if isinstance(it.value, dict)}
    out = []
    for entry in entries:
        hit = by_id.get(entry["id"])
        if hit is None:
            out.append(_zone_text(entry, dash_col, flow, nl))
            continue
        i, it = hit
        if _same(it.value, entry):
            out.append(gaps[i] + text[it.start:it.end])
        else:
            # Keep an end-of-line comment of the item's last line.
            tail = text[it.body_end:it.end]
            tail = tail if tail.strip().startswith("#") else nl
            new = _zone_text(entry, it.dash_col, it.flow, nl)
            out.append(gaps[i] + new[:-len(nl)] + tail)
    return text[:first_gap] + "".join(out) + text[items[-1].end:]


def write_atomic(path: Path, text: str) -> Path:
    """Replace the file with ``text`` atomically, keeping its mode; the previous content goes to ``<name>.bak``.

    Return the backup's path. A crash leaves either the old or the new file, never a half-written one.
    """
    path = path.resolve()
    old = path.read_bytes()
    mode = stat.S_IMODE(path.stat().st_mode)
    backup = path.with_name(path.name + ".bak")
    for target, data in ((backup, old), (path, text.encode("utf-8"))):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must survive a power cut
    finally:
        os.close(dir_fd)
    return backup


def zones_diff(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Return the ids of added, removed and changed zones (for the access log)."""
    before = {str(z.get("id")): z for z in old}
    after = {str(z.get("id")): z for z in new}
    return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
            "changed": sorted(k for k in before.keys() & after.keys() if not _same(before[k], after[k]))}

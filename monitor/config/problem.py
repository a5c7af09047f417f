"""A problem the config checks find: where it is (a path of keys and indices) and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """A config error (or warning) at a path such as ('sites', 0, 'cameras', 1, 'zones', 2, 'counter')."""

    loc: Loc
    message: str
    warning: bool = False

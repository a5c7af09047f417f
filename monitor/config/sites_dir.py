"""Sites kept one per file in the folder named by ``sites_dir``, appended to the main file's sites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .yaml_source import ConfigError, Issue, line_of, parse_yaml


@dataclass(frozen=True)
class SiteFile:
    """A site read from a sites_dir file: where it is, for error lines and for the zone editor."""

    path: Path
    root: yaml.Node | None


def sites_dir_files(folder: Path) -> list[Path]:
    """Return the site files of a sites_dir folder: every *.yaml and *.yml, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_site_files(data: dict[str, Any], root: yaml.Node | None, source: str, path: Path | None,
                    texts: Mapping[Path, str]) -> list[SiteFile]:
    """Append the sites of ``sites_dir`` to data['sites'] and return their files, in that order."""
    name = data.get("sites_dir")
    if name is None:
        return []
    line = line_of(root, ("sites_dir",))
    if not isinstance(name, str) or not name:
        raise ConfigError(source, [Issue("sites_dir", line, "sites_dir is a folder name, e.g. sites.d")])
    folder = Path(name) if Path(name).is_absolute() or path is None else path.parent / name
    try:
        files = sites_dir_files(folder)
    except OSError as exc:
        raise ConfigError(source, [Issue("sites_dir", line, f"cannot read folder {folder}: "
                                                            f"{exc.strerror or exc}")]) from None
    issues: list[Issue] = []
    out: list[SiteFile] = []
    sites = data.get("sites")
    if sites is not None and not isinstance(sites, list):
        return []  # the schema reports the bad 'sites'; site files cannot be added to it
    sites = list(sites or [])
    for file in files:
        try:
            text = texts[file.resolve()] if file.resolve() in texts else file.read_text(encoding="utf-8")
            site_root, site = parse_yaml(text, source, str(file))
        except ConfigError as exc:
            issues += exc.issues
            continue
        except OSError as exc:
            issues.append(Issue("", None, f"cannot read site file: {exc.strerror or exc}", file=str(file)))
            continue
        if not isinstance(site, dict):
            issues.append(Issue("", 1, "a site file holds one site: a mapping with id, name, counters, cameras",
                                file=str(file)))
            continue
        out.append(SiteFile(file, site_root))
        sites.append(site)
    if issues:
        raise ConfigError(source, issues)
    data["sites"] = sites
    return out

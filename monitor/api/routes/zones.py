"""GET/PUT /api/v1/cameras/{id}/zones and a dry run: the zone editor's API, checked like `check-config`."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ...config import CameraConfig, ConfigError, Issue, LoadedConfig, SiteConfig, ZoneConfig, load_config
from ...config.reload_plan import plan_reload
from ...config.zone_edit import ZoneEditError, file_version, replace_zones, write_atomic, zones_diff
from ...redact import REDACTOR, redact_url
from ..auth import Principal, require
from ..deps import AppParts, ErrorOut, get_parts, pipeline
from .admin import reload_out
from .samples import CameraId, membership, resolve_sample
from .zone_models import (
    CounterRefOut,
    ProblemOut,
    ZoneFullOut,
    ZoneIn,
    ZonesIn,
    ZonesOut,
    ZonesPreviewIn,
    ZonesPreviewOut,
    ZonesRefusedOut,
    ZonesSavedOut,
)

router = APIRouter(prefix="/api/v1/cameras", tags=["zones"])
access_log = logging.getLogger("monitor.access")


@dataclass(frozen=True)
class _Where:
    """Where a camera's zones are written: the file, the site's and camera's indices there."""

    main: Path
    file: Path
    site_file: bool
    site_index: int
    camera_index: int
    display: str


def _config_path(parts: AppParts) -> Path:
    path = parts.config.path
    if path is None:
        raise HTTPException(503, "this process has no config file to edit")
    return path


def _on_disk(parts: AppParts) -> LoadedConfig:
    path = _config_path(parts)
    try:
        return load_config(path)
    except ConfigError as exc:
        lines = "; ".join(REDACTOR(redact_url(f"{i.file or exc.source}: {i}")) for i in exc.issues if not i.warning)
        raise HTTPException(409, f"the config file has errors now; fix them first: {lines}") from None


def _where(disk: LoadedConfig, camera_id: str) -> tuple[_Where, SiteConfig, CameraConfig]:
    assert disk.path is not None
    for si, site in enumerate(disk.config.sites):
        for ci, cam in enumerate(site.cameras):
            if cam.id == camera_id:
                file = disk.file_of(site.id) or disk.path
                try:
                    display = str(file.relative_to(disk.path.parent))
                except ValueError:
                    display = str(file)
                return _Where(disk.path, file, site.id in disk.site_files, si, ci, display), site, cam
    raise HTTPException(404, f"unknown camera {camera_id!r}")


def _zone_full(z: ZoneConfig) -> ZoneFullOut:
    return ZoneFullOut(id=z.id, kind=z.kind, counter=z.counter, polygon=list(z.polygon), anchor=z.anchor,
                       resolved_anchor=z.resolved_anchor(), count_mode=z.count_mode, shared=z.shared,
                       name=z.name)


def _problem(issue: Issue, where: _Where, source: str) -> ProblemOut:
    prefix = rf"cameras\[{where.camera_index}\]\.zones\[(\d+)\](?:\.(\w+))?"
    if not where.site_file:
        prefix = rf"sites\[{where.site_index}\]\." + prefix
    same_file = (issue.file is None and not where.site_file) or (
        issue.file is not None and where.site_file and Path(issue.file).resolve() == where.file.resolve())
    m = re.match(prefix, issue.path) if same_file else None
    return ProblemOut(zone=int(m.group(1)) if m else None, field=m.group(2) if m else None,
                      file=issue.file and Path(issue.file).name, line=issue.line,
                      message=REDACTOR(redact_url(issue.message)), warning=issue.warning,
                      text=REDACTOR(redact_url(f"{issue.file or source}: {issue}")))


@dataclass(frozen=True)
class _Plan:
    where: _Where
    old_bytes: bytes
    new_text: str
    loaded: LoadedConfig | None
    problems: list[ProblemOut]
    old_zones: list[dict[str, Any]]


def _plan(parts: AppParts, camera_id: str, zones: list[ZoneIn]) -> _Plan:
    """Write the zones into the file's text in memory and validate the whole config as `check-config` would."""
    disk = _on_disk(parts)
    where, _, cam = _where(disk, camera_id)
    try:
        old = where.file.read_bytes()
    except OSError as exc:
        raise HTTPException(503, f"cannot read {where.display}: {exc.strerror or exc}") from None
    new_zones = [z.model_dump(exclude={"resolved_anchor"}) for z in zones]
    try:
        text = replace_zones(old.decode("utf-8"), camera_id, new_zones)
    except ZoneEditError as exc:
        raise HTTPException(409, f"{where.display}: {exc}") from None
    source = str(where.main)
    old_zones = [z.model_dump() for z in cam.zones]
    try:
        loaded = load_config(where.main, texts={where.file.resolve(): text})
    except ConfigError as exc:
        return _Plan(where, old, text, None, [_problem(i, where, source) for i in exc.issues], old_zones)
    problems = [_problem(i, where, source) for i in loaded.warnings]
    plan = plan_reload(parts.config.config, loaded.config, pipeline(parts).detector_kinds())
    problems += [ProblemOut(zone=None, field=None, file=None, line=None, message=e, warning=False, text=e)
                 for e in plan.errors]
    return _Plan(where, old, text, None if plan.errors else loaded, problems, old_zones)


PartsDep = Annotated[AppParts, Depends(get_parts)]


@router.get("/{camera_id}/zones", response_model=ZonesOut, summary="A camera's zones as its config file has them",
            responses={404: {"model": ErrorOut, "description": "Unknown camera."},
                       409: {"model": ErrorOut, "description": "The config file has errors now."},
                       503: {"model": ErrorOut, "description": "This process has no config file."}})
def get_zones(camera_id: CameraId, parts: PartsDep,
              _: Annotated[Principal, Depends(require("viewer"))]) -> ZonesOut:
    """Return the zones, the site's counters and the file's version (send it back with PUT)."""
    disk = _on_disk(parts)
    where, site, cam = _where(disk, camera_id)
    try:
        version = file_version(where.file.read_bytes())
    except OSError as exc:
        raise HTTPException(503, f"cannot read {where.display}: {exc.strerror or exc}") from None
    return ZonesOut(camera=cam.id, site=site.id, file=where.display, version=version,
                    zones=[_zone_full(z) for z in cam.zones],
                    counters=[CounterRefOut(id=c.id, name=c.name) for c in site.counters],
                    detector_kinds=sorted(pipeline(parts).detector_kinds()))


@router.post("/{camera_id}/zones/preview", response_model=ZonesPreviewOut,
             summary="Try zones on the current frame without saving",
             responses={400: {"model": ErrorOut, "description": "The body is not JSON, or t is given for a "
                                                                "camera that is not a file."},
                        404: {"model": ErrorOut, "description": "Unknown camera."},
                        409: {"model": ErrorOut, "description": "The config file has errors now."},
                        503: {"model": ErrorOut, "description": "This process has no config file."}})
def preview_zones(camera_id: CameraId, body: ZonesPreviewIn, parts: PartsDep,
                  _: Annotated[Principal, Depends(require("viewer"))]) -> ZonesPreviewOut:
    """Return which detections of the current frame each zone would count, and the check-config problems."""
    plan = _plan(parts, camera_id, body.zones)
    valid = plan.loaded is not None and not any(not p.warning for p in plan.problems)
    cam = pipeline(parts).camera(camera_id)
    if cam is None:
        return ZonesPreviewOut(valid=valid, problems=plan.problems)
    usable = []
    for z in body.zones:
        try:
            zone = ZoneConfig.model_validate(z.model_dump(exclude={"resolved_anchor"}))
            if len(zone.polygon) >= 3:
                usable.append(zone)
        except ValidationError:
            continue  # its problems are in the list; it counts nobody until it is valid
    try:
        last, _d = resolve_sample(parts, cam, body.t, body.frame)
    except HTTPException:
        return ZonesPreviewOut(valid=valid, problems=plan.problems)
    dets = membership(last.detections, usable)
    counts = {z.id: sum(1 for d in dets if z.id in d.zones) for z in usable}
    h, w = last.frame.image.shape[:2]
    return ZonesPreviewOut(valid=valid, problems=plan.problems, width=w, height=h, ts=last.frame.ts,
                           detections=dets, counts=counts)


@router.put("/{camera_id}/zones", response_model=ZonesSavedOut, summary="Save a camera's zones (admin)",
            responses={400: {"model": ZonesRefusedOut, "description": "check-config finds errors (or the body is "
                                                                      "not JSON): nothing written."},
                       404: {"model": ErrorOut, "description": "Unknown camera."},
                       409: {"model": ErrorOut, "description": "The file changed since it was loaded (or has "
                                                               "errors now): nothing written."},
                       503: {"model": ErrorOut, "description": "The file cannot be written."}})
def put_zones(camera_id: CameraId, body: ZonesIn, parts: PartsDep,
              who: Annotated[Principal, Depends(require("admin"))]) -> ZonesSavedOut | JSONResponse:
    """Validate like check-config, write the file atomically (previous content in <file>.bak), then reload."""
    with parts.zone_saves:  # a version check and its write never interleave with another save
        plan = _plan(parts, camera_id, body.zones)
        where = plan.where
        if file_version(plan.old_bytes) != body.version:
            raise HTTPException(409, f"{where.display} changed since you loaded it (someone else saved, or it "
                                     f"was edited by hand): nothing was written. Load the zones again and redo "
                                     f"your change.")
        if plan.loaded is None or any(not p.warning for p in plan.problems):
            n = sum(1 for p in plan.problems if not p.warning)
            refused = ZonesRefusedOut(detail=f"check-config finds {n} error{'s' if n != 1 else ''}: nothing was "
                                             f"written", problems=plan.problems)
            return JSONResponse(refused.model_dump(), status_code=400)
        try:
            backup = write_atomic(where.file, plan.new_text)
        except OSError as exc:
            raise HTTPException(503, f"cannot write {where.display}: {exc.strerror or exc}") from None
        diff = zones_diff(plan.old_zones, [z.model_dump(exclude={"resolved_anchor"}) for z in body.zones])
        # Who changed what, like every other administrative act (the zones themselves are in the file).
        access_log.info("zones_saved", extra={"event": "zones_saved", "who": who.name, "camera": camera_id,
                                              "file": where.display, **diff, "zones": len(body.zones),
                                              "at": dt.datetime.now(dt.UTC).isoformat()})
        result = parts.reload() if parts.reload is not None else None
    return ZonesSavedOut(saved=True, file=where.display, version=file_version(plan.new_text.encode("utf-8")),
                         backup=backup.name, problems=plan.problems, **diff,
                         reload=reload_out(result) if result is not None else None)

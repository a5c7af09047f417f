"""snapshot: grab one frame from a camera, detect, and write it annotated (persons blurred) to a JPEG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import parse_duration
from ._common import load_camera, load_detectors

NAME = "snapshot"
HELP = "write one annotated frame of a camera (zones, boxes, persons blurred) to a JPEG file"
DESCRIPTION = """Grab one frame from a configured camera, run the model, and write it with zones, counts and
person boxes drawn. Persons are blurred unless --raw is given AND service.allow_raw_snapshots is true."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--camera", required=True, help="camera id")
    p.add_argument("--raw", action="store_true", help="do not blur persons (needs service.allow_raw_snapshots)")
    p.add_argument("--timeout", default="20s", help="how long to wait for a frame")
    p.add_argument("out", help="output JPEG path")


def run(args: argparse.Namespace) -> int:
    """Grab, detect, annotate, write; return 0 or an error status."""
    found = load_camera(args.config, args.camera)
    if found is None:
        return 2
    loaded, camera = found
    cfg = loaded.config
    if args.raw and not cfg.service.allow_raw_snapshots:
        print("--raw refused: set service.allow_raw_snapshots: true in the config to allow unblurred images",
              file=sys.stderr)
        return 2
    from ..annotate import annotate, encode_jpeg
    from ..pipeline.analyse import Analyser
    from ..sources import SourceError, grab_frame

    try:
        frame = grab_frame(camera, parse_duration(args.timeout))
    except SourceError as exc:
        print(f"camera {camera.id}: no frame ({exc})", file=sys.stderr)
        return 1
    analyser = Analyser(load_detectors(loaded, [camera]), cfg.detector.tiling)
    a = analyser.analyse([(camera, frame.image)])[0]
    out = Path(args.out)
    out.write_bytes(encode_jpeg(annotate(frame.image, a.detections.values(), camera.zones, a.counts,
                                         blur=not args.raw)))
    print(f"{out}: {frame.image.shape[1]}x{frame.image.shape[0]}, {a.people} people, zones {a.counts}")
    return 0

"""eval-counts: measure how well a counting mode counts people on labelled images (MAE, bias, rel. MAE)."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluate import CountResult, CountSummary, summarize, worst
from ._eval_models import HEAD_MODEL, PERSON_MODEL, Counter, build_baseline, build_counter, resolve_mode

NAME = "eval-counts"
HELP = "count people on labelled images and report MAE, bias and relative MAE per counting mode"
DESCRIPTION = """Measure counting accuracy on a folder with images/ and counts.csv (image,...,head_count).

  onestop-monitor eval-counts ../shared/data/scut_head_classroom --mode head --compare

Prints the settings each model really ran with, then per mode: MAE (mean |predicted - true|), mean signed
error (negative = people missed), relative MAE (MAE / mean true count), ms per frame, and the images with the
largest errors. Modes: person, head, fused (person boxes + heads no person box explains), auto (fused when the
head model is installed). --imgsz/--conf apply to every model of the mode (head included); --head-imgsz and
--head-conf then override the head model's (defaults: person 640 / 0.25, head 960 / 0.3, as the service).
--compare adds the plain Ultralytics baseline (yolo11n-pose person predict at imgsz 640, its default
confidence) on the same images. Use images the model never trained on.
Exit status: 0 done, 2 bad input, 3 model missing or corrupted."""

_TILES = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


class InputError(Exception):
    """The evaluation folder or its counts.csv cannot be used."""


@dataclass(frozen=True)
class Sample:
    """One labelled image."""

    image: str
    path: Path
    true: int


def parse_tiles(text: str) -> tuple[int, int]:
    """Parse 'RxC' (e.g. '2x2') into (rows, cols)."""
    m = _TILES.match(text)
    if not m or not (1 <= int(m.group(1)) <= 8 and 1 <= int(m.group(2)) <= 8):
        raise argparse.ArgumentTypeError(f"tiles must look like 2x2 (rows x cols, 1..8 each), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def read_samples(folder: Path, limit: int | None = None) -> list[Sample]:
    """Read counts.csv of ``folder`` (image + head_count columns) and check every image exists."""
    csv_path = folder / "counts.csv"
    if not csv_path.is_file():
        raise InputError(f"{csv_path} not found: the folder needs images/ and counts.csv "
                         "(image,...,head_count)")
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        column = next((c for c in ("head_count", "count") if c in fields), None)
        if "image" not in fields or column is None:
            raise InputError(f"{csv_path}: needs columns 'image' and 'head_count', found {', '.join(fields)}")
        samples: list[Sample] = []
        for line, row in enumerate(reader, start=2):
            try:
                true = int(row[column])
            except (TypeError, ValueError):
                msg = f"{csv_path}:{line}: {column} {row[column]!r} is not a whole number"
                raise InputError(msg) from None
            if true < 0:
                raise InputError(f"{csv_path}:{line}: {column} is negative")
            path = folder / "images" / row["image"]
            if not path.is_file():
                raise InputError(f"{csv_path}:{line}: image {path} not found")
            samples.append(Sample(row["image"], path, true))
    if not samples:
        raise InputError(f"{csv_path} lists no images")
    return samples[:limit] if limit else samples


def load_image(path: Path, resize_width: int | None) -> np.ndarray:
    """Read a BGR image; optionally scale it to ``resize_width`` pixels wide (aspect kept)."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"cannot decode {path}")
    if resize_width and img.shape[1] != resize_width:
        h = round(img.shape[0] * resize_width / img.shape[1])
        interp = cv2.INTER_AREA if resize_width < img.shape[1] else cv2.INTER_LINEAR
        img = cv2.resize(img, (resize_width, h), interpolation=interp)
    return img

def evaluate(samples: list[Sample], count: Counter, resize_width: int | None) -> list[CountResult]:
    """Count every sample; time only the model call, not the image decoding."""
    out = []
    for s in samples:
        img = load_image(s.path, resize_width)
        t0 = time.perf_counter()
        n = count(img)
        out.append(CountResult(s.image, s.true, n, time.perf_counter() - t0))
    return out


def _format_table(rows: list[tuple[str, CountSummary]]) -> list[str]:
    """Return the side-by-side summary lines."""
    lines = [f"{'mode':<34} {'MAE':>7} {'bias':>7} {'rel.MAE':>8} {'RMSE':>7} {'ms/frame':>9}"]
    for label, s in rows:
        lines.append(f"{label.split(' (')[0]:<34} {s.mae:>7.2f} {s.bias:>+7.2f} {s.relative_mae:>8.1%} "
                     f"{s.rmse:>7.2f} {s.ms_per_frame:>9.0f}")
    return lines


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("dir", type=Path, help="folder with images/ and counts.csv")
    p.add_argument("--mode", choices=("person", "head", "fused", "auto"), default="auto",
                   help="counting mode (auto: fused when the head model is installed, else person)")
    p.add_argument("--imgsz", type=int, default=None,
                   help="inference size of every model of the mode (default: person 640, head 960)")
    p.add_argument("--conf", type=float, default=None,
                   help="confidence threshold of every model of the mode (default: person 0.25, head 0.3)")
    p.add_argument("--head-imgsz", type=int, default=None, help="inference size of the head model (over --imgsz)")
    p.add_argument("--head-conf", type=float, default=None, help="confidence of the head model (over --conf)")
    p.add_argument("--tiles", type=parse_tiles, default=None, metavar="RxC", help="tiled inference, e.g. 2x2")
    p.add_argument("--overlap", type=float, default=0.2, help="tile overlap share (default 0.2)")
    p.add_argument("--full-frame", action="store_true", help="with --tiles, also detect on the whole frame")
    p.add_argument("--compare", action="store_true", help="also run the plain-Ultralytics baseline")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images of counts.csv")
    p.add_argument("--resize-width", type=int, default=None, metavar="PX",
                   help="scale every image to this width first (e.g. 1280 to time full-HD-like frames)")
    p.add_argument("--worst", type=int, default=5, metavar="K", help="list the K worst images")
    p.add_argument("--model", default=None, help=f"person model (default {PERSON_MODEL})")
    p.add_argument("--head-model", default=None, help=f"head model (default {HEAD_MODEL})")
    p.add_argument("--device", default="cpu", help="inference device (default cpu)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="Ultralytics settings folder (default $XDG_CACHE_HOME/onestop-monitor)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace) -> int:
    """Evaluate the chosen mode (and the baseline) and print the report."""
    from ..detect.models import ModelError

    if args.limit is not None and args.limit < 1:
        print("error: --limit must be >= 1", file=sys.stderr)
        return 2
    if not 0.0 <= args.overlap < 0.9:
        print("error: --overlap must be in [0, 0.9)", file=sys.stderr)
        return 2
    try:
        samples = read_samples(args.dir, args.limit)
        from ..detect.env import default_state_dir, prepare_ultralytics_env, ultralytics_logs_to_stderr

        args.state_dir = args.state_dir or default_state_dir()
        prepare_ultralytics_env(args.state_dir)
        ultralytics_logs_to_stderr()  # --json output stays parseable
        mode = resolve_mode(args.mode)
        builders: list[Callable[[], tuple[str, Counter, dict[str, Any]]]] = [
            lambda: build_counter(args, mode)]
        if args.compare:
            builders.append(lambda: build_baseline(args))
        report: list[tuple[str, dict[str, Any], CountSummary, list[CountResult]]] = []
        for build in builders:
            label, count, settings = build()
            results = evaluate(samples, count, args.resize_width)
            report.append((label, settings, summarize(results), results))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:  # detector settings out of range (pydantic), a model of the wrong kind
        print(f"error: {exc}", file=sys.stderr)
        return 2

    mean_true = report[0][2].mean_true
    if args.json:
        print(json.dumps({
            "dir": str(args.dir), "images": len(samples), "mean_true": round(mean_true, 3),
            "resize_width": args.resize_width,
            "modes": [{"label": label, "settings": settings, **summary.as_dict(),
                       "worst": [{"image": r.image, "true": r.true, "predicted": r.predicted,
                                  "error": r.error} for r in worst(results, args.worst)]}
                      for label, settings, summary, results in report],
        }, indent=2))
        return 0
    print(f"{args.dir}: {len(samples)} images, mean true count {mean_true:.1f}"
          + (f", resized to {args.resize_width} px wide" if args.resize_width else ""))
    for label, *_ in report:
        print(f"  {label}")
    print()
    for line in _format_table([(label, summary) for label, _, summary, _ in report]):
        print(line)
    for label, _, _, results in report:
        print(f"\nlargest errors, {label.split(' (')[0]}:")
        for r in worst(results, args.worst):
            print(f"  {r.image:<28} true {r.true:>4}  predicted {r.predicted:>4}  error {r.error:>+5}")
    return 0

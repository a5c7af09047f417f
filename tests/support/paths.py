"""Where the repository and the shared real footage are."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__import__("os").environ.get("ONESTOP_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()
CLASSROOM = SHARED_DATA / "scut_head_classroom"
ONE_BY_ONE = SHARED_DATA / "intel_sample_videos" / "one-by-one-person-detection.mp4"

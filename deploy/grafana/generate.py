"""Write the Grafana dashboards (deploy/grafana/dashboards/*.json) from their definitions in panels.py.

Run ``python deploy/grafana/generate.py`` after editing panels.py; ``--check`` exits 1 when the JSON files
differ from what the definitions give (tests run it). Generating keeps ids, grid positions, the datasource
variable and the template variables consistent across the three dashboards.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "dashboards"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from panels import DASHBOARDS  # noqa: E402 - found through the path set above


def render_all() -> dict[str, str]:
    """Return {file name: JSON text} for every dashboard."""
    return {f"{d.uid}.json": json.dumps(d.to_json(), ensure_ascii=False, indent=2) + "\n" for d in DASHBOARDS}


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the dashboard files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render_all().items():
        path = OUT_DIR / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

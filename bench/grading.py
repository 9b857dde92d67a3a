"""Benchmark ``nnbook grade``: notebooks graded per minute (not a test).

Grades N copies (default 50) of a realistic submission, the released exercise
notebook with the solution's answers filled in, with the default limits and all
cores::

    .venv/bin/python bench/grading.py [N] [--sandbox auto|bwrap|unshare|none]

Target: at least 120 notebooks per minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nnbook.grading import grade

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
SOLUTION = ROOT / "solutions" / "01_neurons.ipynb"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def realistic_submission() -> nbformat.NotebookNode:
    """The exercise notebook with every answer cell taken from the solution."""
    answers = {
        cell.id: "\n".join(line for line in cell.source.splitlines()
                           if not MARKER.match(line))
        for cell in nbformat.read(SOLUTION, as_version=4).cells
    }
    notebook = nbformat.read(RELEASE, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nnbook", {}).get("role") == "answer":
            cell.source = answers[cell.id]
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=50)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        text = nbformat.writes(realistic_submission())
        for k in range(args.n):
            (folder / f"student{k:03d}.ipynb").write_text(text)
        started = time.perf_counter()
        results = grade(RELEASE, folder, Path(tmp) / "out", jobs=args.jobs,
                        sandbox=args.sandbox)
        seconds = time.perf_counter() - started
    full = sum(r.points == 12 and r.status == "graded" for r in results)
    print(f"{args.n} notebooks in {seconds:.2f} s: {60 * args.n / seconds:.0f} "
          f"notebooks/minute ({full}/{args.n} graded with full marks)")
    return 0 if full == args.n else 1


if __name__ == "__main__":
    sys.exit(main())

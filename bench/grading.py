"""Benchmark ``nnbook grade``: notebooks graded per minute (not a test).

Grades N copies (default 50) of a realistic submission, the released exercise
notebook with the solution's answers filled in, with the default limits and all
cores::

    .venv/bin/python bench/grading.py [N] [--chapter 01_neurons]
        [--sandbox auto|bwrap|unshare|none] [--jobs J] [--baseline]

With ``--baseline`` it also times what nbgrader does: each submission executed
top to bottom by nbclient in its own Jupyter kernel, the check cells running
inside that kernel, ``jobs`` kernels in parallel (all cores by default, like
``nnbook grade``).

Target: at least 120 notebooks per minute on a 2-core machine, and at least 5x
the in-kernel baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01_neurons"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# What the baseline kernels get: one BLAS thread each, as the grader's workers.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


def realistic_submission(chapter: str = CHAPTER) -> nbformat.NotebookNode:
    """The exercise notebook with every answer cell taken from the solution."""
    answers = {
        cell.id: "\n".join(
            line for line in cell.source.splitlines() if not MARKER.match(line)
        )
        for cell in nbformat.read(
            ROOT / "solutions" / f"{chapter}.ipynb", as_version=4
        ).cells
    }
    notebook = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nnbook", {}).get("role") == "answer":
            cell.source = answers[cell.id]
    return notebook


def write_submissions(folder: Path, n: int, chapter: str = CHAPTER) -> list[Path]:
    """``n`` copies of the realistic submission as ``folder/studentNNN.ipynb``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(realistic_submission(chapter))
    paths = [folder / f"student{k:03d}.ipynb" for k in range(n)]
    for path in paths:
        path.write_text(text)
    return paths


def max_points(chapter: str = CHAPTER) -> int:
    """Full marks of the chapter's exercise set."""
    from nnbook import exercises
    from nnbook.grading.notebook import load_release

    release = load_release(ROOT / "exercises" / f"{chapter}.ipynb")
    return sum(exercises.get(n).points for n in release.exercises)


def time_grade(
    n: int, chapter: str = CHAPTER, jobs: int | None = None, sandbox: str = "auto"
) -> dict:
    """Grade ``n`` realistic submissions with ``nnbook grade``; the rate and checks."""
    from nnbook.grading import grade

    full_marks = max_points(chapter)
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-grade-") as tmp:
        folder = Path(tmp) / "submissions"
        write_submissions(folder, n, chapter)
        started = time.perf_counter()
        results = grade(
            ROOT / "exercises" / f"{chapter}.ipynb",
            folder,
            Path(tmp) / "out",
            jobs=jobs,
            sandbox=sandbox,
            progress=False,
        )
        seconds = time.perf_counter() - started
    full = sum(r.points == full_marks and r.status == "graded" for r in results)
    return {
        "notebooks": n,
        "seconds": seconds,
        "per_minute": 60 * n / seconds,
        "full_marks": full,
        "jobs": jobs or os.cpu_count() or 1,
    }


def _execute_in_kernel(path: str) -> tuple[int, int]:
    """nbgrader's way: run the whole notebook in a fresh kernel; (passed, checks)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
        allow_errors=True,
    )
    client.execute(env=dict(os.environ, **ONE_THREAD))
    checks = [
        c
        for c in notebook.cells
        if c.get("metadata", {}).get("nnbook", {}).get("role") == "check"
    ]
    passed = sum(
        any(
            "PASSED" in str(o.get("text", "")) + str(o.get("data", {}))
            for o in c.get("outputs", [])
        )
        and not any(o.get("output_type") == "error" for o in c.get("outputs", []))
        for c in checks
    )
    return passed, len(checks)


def time_in_kernel_baseline(
    n: int, chapter: str = CHAPTER, jobs: int | None = None
) -> dict:
    """Execute ``n`` realistic submissions, one fresh kernel each, ``jobs`` at once."""
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-nbgrader-") as tmp:
        paths = write_submissions(Path(tmp) / "submissions", n, chapter)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(_execute_in_kernel, map(str, paths)))
        seconds = time.perf_counter() - started
    full = sum(passed == checks and checks > 0 for passed, checks in outcomes)
    return {
        "notebooks": n,
        "seconds": seconds,
        "per_minute": 60 * n / seconds,
        "full_marks": full,
        "jobs": jobs,
        "pattern": f"nbclient, one kernel per notebook, checks in the kernel, "
        f"{jobs} kernels in parallel",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=50)
    parser.add_argument("--chapter", default=CHAPTER)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time the in-kernel (nbgrader-style) baseline",
    )
    args = parser.parse_args()
    ours = time_grade(args.n, args.chapter, args.jobs, args.sandbox)
    print(
        f"{args.n} notebooks in {ours['seconds']:.2f} s: {ours['per_minute']:.0f} "
        f"notebooks/minute ({ours['full_marks']}/{args.n} graded with full marks)"
    )
    ok = ours["full_marks"] == args.n
    if args.baseline:
        base = time_in_kernel_baseline(args.n, args.chapter, args.jobs)
        print(
            f"baseline ({base['pattern']}): {base['seconds']:.2f} s, "
            f"{base['per_minute']:.0f} notebooks/minute "
            f"({base['full_marks']}/{args.n} with every check passed); "
            f"ratio {ours['per_minute'] / base['per_minute']:.1f}x"
        )
        ok = ok and base["full_marks"] == args.n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""``nnbook grade``: grade a folder of handed-in exercise notebooks, safely.

Usage::

    nnbook grade exercises/01_neurons.ipynb handed-in/ --out grading-out/

``handed-in/`` holds ``<student>.ipynb`` files or ``<student>/<any name>.ipynb``
folders (the nbgrader / LMS layout). The grader writes ``grading-out/grades.csv``
(one row per submission: points per exercise, total, max, status, reason, grader
version, checks hash), ``grading-out/feedback/<student>.md`` (see
:func:`nnbook.grading.report.feedback_name`) and ``grading-out/grading.json``
(version, checks hash, sandbox, limits). Every entry that looks like a hand-in
gets a row; links, FIFOs and devices are refused with the reason.

How a submission is graded (see :mod:`nnbook.grading.run`):

1. the notebook is rebuilt from the release: only answer cells come from the
   student (:mod:`nnbook.grading.notebook`);
2. a worker process runs its code cells with ``exec`` inside a sandbox with
   time, memory and process limits (:mod:`nnbook.grading.sandbox`,
   :mod:`nnbook.grading.worker`) and, at each check cell, runs the answer on the
   cases' inputs (:func:`nnbook.exercises.run_probe`; the worker has no reference
   and no expected value) and sends the plain data back over a pipe;
3. the grader judges that data in its own process with
   :func:`nnbook.exercises.judge`; nothing the student's code produces is ever
   executed or unpickled by the grader.

Gradescope: with ``--gradescope`` the grader also writes Gradescope's
``results.json`` for the (single) submission in the folder; ``nnbook gradescope``
(:mod:`nnbook.grading.gradescope`) builds the autograder zip whose
``run_autograder`` does that. If the container does not allow namespaces, the
start-up report says so and the grader falls back to rlimits and a process group.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from nnbook.grading.classreport import write_report
from nnbook.grading.notebook import find_submissions, load_release
from nnbook.grading.report import write_all
from nnbook.grading.run import Result, grade_all
from nnbook.grading.sandbox import Limits, detect, limits_dict

__all__ = ["Limits", "Result", "grade"]


def grade(
    release_path: Path,
    folder: Path,
    out: Path,
    limits: Limits | None = None,
    jobs: int | None = None,
    gradescope: bool = False,
    sandbox: str = "auto",
    progress: bool = True,
    names: bool = False,
) -> list[Result]:
    """Grade every submission in ``folder`` and write the results to ``out``.

    This is ``nnbook grade``. Prints the sandbox report at start and a summary at
    the end on stderr; returns the results (one per submission).
    """
    limits = limits or Limits()
    release = load_release(release_path)
    submissions = find_submissions(folder)
    if gradescope and len(submissions) != 1:
        found = len(submissions)
        # Prefer the notebook named like the release (01_neurons.ipynb).
        submissions.sort(key=lambda s: s[1] is None or s[1].name != release.path.name)
        submissions = submissions[:1] or [("submission", None, "no notebook found")]
        if found > 1:
            print(
                f"nnbook grade: --gradescope expects one submission, found {found};"
                " grading the first",
                file=sys.stderr,
            )
    box = detect(sandbox, [c.source for c in release.cells if c.kind == "code"])
    print(box.report(limits), file=sys.stderr)
    started = time.monotonic()
    try:
        results = grade_all(
            release, submissions, box, limits, jobs or os.cpu_count() or 1, progress
        )
    finally:
        box.close()
    write_all(Path(out), release, results, limits_dict(limits), box.backend, gradescope)
    # The class report (issue 15): report.html and report.md; names only if asked.
    write_report(Path(out), release, results, names=names)
    seconds = time.monotonic() - started
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    rate = 60 * len(results) / seconds if seconds else 0.0
    print(
        f"nnbook grade: {len(results)} submission(s) in {seconds:.1f} s "
        f"({rate:.0f} notebooks/min): "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f". Wrote {Path(out) / 'grades.csv'}",
        file=sys.stderr,
    )
    return results

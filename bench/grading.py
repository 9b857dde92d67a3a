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

Each run also times the class report (``report.html`` and ``report.md``, issue
15) on its own, from the same results, and gives its share of the grading time
(target: under 5 %). ``--mixed`` grades a mixed class instead of N copies of the
right answers (see :func:`mixed_class`: right answers, every diagnosed mistake,
undiagnosed wrong answers, blanks, syntax errors, a crash, an endless loop under
a 5 s cell limit, an unreadable file), which gives the report something to say;
``--out DIR`` keeps what the grader wrote.

Target: at least 120 notebooks per minute on a 2-core machine, and at least 5x
the in-kernel baseline.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import numpy as np

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


def solution_answers(chapter: str = CHAPTER) -> dict[str, str]:
    """The solution notebook's cells by id, solution markers removed."""
    return {
        cell.id: "\n".join(
            line for line in cell.source.splitlines() if not MARKER.match(line)
        )
        for cell in nbformat.read(
            ROOT / "solutions" / f"{chapter}.ipynb", as_version=4
        ).cells
    }


def realistic_submission(chapter: str = CHAPTER) -> nbformat.NotebookNode:
    """The exercise notebook with every answer cell taken from the solution."""
    answers = solution_answers(chapter)
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


# -- a mixed class: what the class report (issue 15) is for -------------------------

# The answer cells below look a case's arguments up by this key; the same source
# runs here, so the keys match exactly.
KEY_SOURCE = """def _key(args):
    return repr([a if isinstance(a, str) else np.asarray(a, dtype=float).tolist()
                 for a in args])
"""
_key_namespace: dict = {"np": np}
exec(KEY_SOURCE, _key_namespace)
case_key = _key_namespace["_key"]
SEGFAULT = "\nimport ctypes\nctypes.string_at(0)\n"
ENDLESS = "\nwhile True:\n    pass\n"
SYNTAX_ERROR = "def broken(:\n    return 1\n"


def literal(value) -> str:
    """Python source that rebuilds ``value`` (numbers, strings, sequences, arrays)."""
    if isinstance(value, np.ndarray):
        return f"np.array({literal(value.tolist())})"
    if isinstance(value, np.generic):
        return literal(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner},)"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"no literal for a {type(value).__name__}")


def tabulated_answer(exercise, outputs: list) -> str:
    """An answer cell defining ``exercise.answer`` that returns ``outputs[k]`` on
    case ``k`` (and raises on any other input): any behaviour, written as data."""
    table = ",\n".join(
        f"    {case_key(case.args)!r}: {literal(out)}"
        for case, out in zip(exercise.cases, outputs, strict=True)
    )
    name = exercise.answer.replace(".", "_")
    return (
        f"import numpy as np\n\n{KEY_SOURCE}\n\n_OUTPUTS_{name} = {{\n{table},\n}}\n"
        f"\n\ndef {exercise.answer}(*args):\n    return _OUTPUTS_{name}[_key(args)]\n"
    )


def expected_outputs(exercise) -> list:
    """The reference's output on every case."""
    return [exercise.reference(*copy.deepcopy(c.args)) for c in exercise.cases]


def diagnosis_outputs(exercise, k: int) -> list:
    """What a learner who makes diagnosis ``k`` returns (the reference's output on
    the cases where that mistake raises)."""
    outputs = []
    for case, right in zip(exercise.cases, expected_outputs(exercise), strict=True):
        try:
            outputs.append(exercise.diagnoses[k].wrong(*copy.deepcopy(case.args)))
        except Exception:
            outputs.append(right)
    return outputs


def hints_for(exercise, outputs: list) -> list[str]:
    """The hints the checks give for these outputs (judged here, as the grader
    would)."""
    from nnbook import exercises

    probed = {
        "status": "ran",
        "outcomes": [{"value": exercises.encode(v)} for v in outputs],
    }
    verdict = exercises.judge(exercise, probed)
    hints = [line.strip()[6:] for line in verdict.lines if "Hint: " in line]
    return list(dict.fromkeys(hints)) if not verdict.passed else []


def _shifted(value, offset: float):
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, (list, tuple)):
        return type(value)(_shifted(v, offset) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (int, np.integer)):
        return int(value) + (round(offset) or 1)
    shifted = np.asarray(value, dtype=float) + offset
    return shifted if isinstance(value, np.ndarray) else float(shifted)


def undiagnosed_outputs(exercise, only_last: bool = False) -> list:
    """Wrong outputs that match no diagnosis: every case wrong, or only the last."""
    right = expected_outputs(exercise)
    for offset in (0.5, 1.75, -3.25, 10.5):
        outputs = [
            _shifted(v, offset) if (not only_last or k == len(right) - 1) else v
            for k, v in enumerate(right)
        ]
        if not hints_for(exercise, outputs):
            return outputs
    raise ValueError(f"exercise {exercise.number}: every wrong output is diagnosed")


def wrong_value_source(exercise) -> str:
    """An answer cell for a value exercise that its judge rejects."""
    from nnbook import exercises

    for candidate in ((0.0, 0.0, 0.0), 0.0, (1.0, -1.0), "no idea"):
        value = exercises.decode(exercises.encode(candidate))
        if not exercise.judge_value(value)[0]:
            return f"{exercise.answer} = {literal(candidate)}\n"
    raise ValueError(f"exercise {exercise.number}: no rejected value found")


def answer_source(exercise, kind: str, right: str, stub: str) -> str:
    """The answer cell of a learner who does ``kind`` in ``exercise``.

    ``kind``: ``right``, ``blank`` (the stub), ``diagnosis-K`` (the K-th diagnosed
    mistake), ``wrong`` (every case wrong, no diagnosis), ``wrong-last`` (only the
    last case wrong), ``syntax`` (a SyntaxError), ``crash`` (a segfault after the
    right answer) or ``endless`` (an endless loop after it).
    """
    if kind == "right":
        return right
    if kind == "blank":
        return stub
    if kind == "syntax":
        return SYNTAX_ERROR
    if kind == "crash":
        return right + SEGFAULT
    if kind == "endless":
        return right + ENDLESS
    if not exercise.is_function:
        return wrong_value_source(exercise)
    if kind.startswith("diagnosis-"):
        outputs = diagnosis_outputs(exercise, int(kind.split("-")[1]))
    elif kind in ("wrong", "wrong-last"):
        outputs = undiagnosed_outputs(exercise, only_last=kind == "wrong-last")
    else:
        raise ValueError(f"unknown kind of answer {kind!r}")
    return tabulated_answer(exercise, outputs)


def class_notebook(plan: dict[str, str], chapter: str = CHAPTER):
    """The exercise notebook with each exercise answered as ``plan`` says
    (exercise number -> kind of :func:`answer_source`; missing ones are right)."""
    from nnbook import exercises

    right = solution_answers(chapter)
    notebook = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    for cell in notebook.cells:
        tag = cell.metadata.get("nnbook", {})
        if tag.get("role") == "answer":
            exercise = exercises.get(tag["exercise"])
            kind = plan.get(exercise.number, "right")
            cell.source = answer_source(exercise, kind, right[cell.id], cell.source)
    return notebook


def mixed_class(folder: Path, n: int, chapter: str = CHAPTER, seed: int = 0) -> dict:
    """Write ``n`` hand-ins of a plausible class into ``folder``; return each
    student's plan.

    Per exercise a learner is right (60 %), makes one of its diagnosed mistakes
    (20 %, or a wrong value for a value exercise), another wrong answer (10 %),
    leaves it blank (7 %) or hands in a syntax error (3 %). Three hand-ins
    misbehave, if the class is large enough: one segfaults in the first exercise,
    one loops forever in the second, one is not a notebook.
    """
    from nnbook import exercises
    from nnbook.grading.notebook import load_release

    rng = random.Random(seed)
    release = load_release(ROOT / "exercises" / f"{chapter}.ipynb")
    folder.mkdir(parents=True, exist_ok=True)
    plans: dict[str, dict[str, str]] = {}
    for k in range(n):
        plan = {}
        for number in release.exercises:
            exercise = exercises.get(number)
            roll = rng.random()
            if roll < 0.6:
                kind = "right"
            elif roll < 0.8 and exercise.diagnoses:
                kind = f"diagnosis-{rng.randrange(len(exercise.diagnoses))}"
            elif roll < 0.9:
                kind = rng.choice(["wrong", "wrong-last"])
            elif roll < 0.97:
                kind = "blank"
            else:
                kind = "syntax"
            plan[number] = kind
        plans[f"student{k:03d}"] = plan
    specials = [
        ("crash", release.exercises[0]),
        ("endless", release.exercises[min(1, len(release.exercises) - 1)]),
    ]
    for k, (kind, number) in enumerate(specials):
        if k < n:
            plans[f"student{k:03d}"][number] = kind
    for student, plan in plans.items():
        nbformat.write(class_notebook(plan, chapter), folder / f"{student}.ipynb")
    if n > len(specials):
        unreadable = f"student{len(specials):03d}"
        (folder / f"{unreadable}.ipynb").write_text("this is not a notebook")
        plans[unreadable] = {"file": "unreadable"}
    return plans


def max_points(chapter: str = CHAPTER) -> int:
    """Full marks of the chapter's exercise set."""
    from nnbook import exercises
    from nnbook.grading.notebook import load_release

    release = load_release(ROOT / "exercises" / f"{chapter}.ipynb")
    return sum(exercises.get(n).points for n in release.exercises)


def time_grade(
    n: int,
    chapter: str = CHAPTER,
    jobs: int | None = None,
    sandbox: str = "auto",
    mixed: bool = False,
    keep: Path | None = None,
) -> dict:
    """Grade ``n`` realistic submissions with ``nnbook grade``; the rate and checks.

    ``report_seconds`` times the class report alone (:mod:`nnbook.grading.classreport`
    rendered again from the same results; ``nnbook grade`` already wrote it once,
    inside ``seconds``), and ``report_share`` is its part of the grading time.
    ``mixed`` grades :func:`mixed_class` instead (5 s per cell, for its endless
    loop); ``keep`` copies what the grader wrote there.
    """
    from nnbook.grading import Limits, grade
    from nnbook.grading.classreport import write_report
    from nnbook.grading.notebook import load_release

    full_marks = max_points(chapter)
    release_path = ROOT / "exercises" / f"{chapter}.ipynb"
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-grade-") as tmp:
        folder, out = Path(tmp) / "submissions", Path(tmp) / "out"
        if mixed:
            mixed_class(folder, n, chapter)
        else:
            write_submissions(folder, n, chapter)
        started = time.perf_counter()
        results = grade(
            release_path,
            folder,
            out,
            limits=Limits(cell_seconds=5.0) if mixed else None,
            jobs=jobs,
            sandbox=sandbox,
            progress=False,
        )
        seconds = time.perf_counter() - started
        release = load_release(release_path)
        report_started = time.perf_counter()
        write_report(out, release, results)
        report_seconds = time.perf_counter() - report_started
        if keep is not None:
            shutil.copytree(out, keep, dirs_exist_ok=True)
    full = sum(r.points == full_marks and r.status == "graded" for r in results)
    return {
        "notebooks": n,
        "seconds": seconds,
        "per_minute": 60 * n / seconds,
        "full_marks": full,
        "jobs": jobs or os.cpu_count() or 1,
        "report_seconds": report_seconds,
        "report_share": report_seconds / seconds,
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
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="grade a mixed class (right, wrong, blank, crashing hand-ins)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="keep what the grader wrote here"
    )
    args = parser.parse_args()
    ours = time_grade(
        args.n, args.chapter, args.jobs, args.sandbox, args.mixed, args.out
    )
    print(
        f"{args.n} {'mixed ' if args.mixed else ''}notebooks in "
        f"{ours['seconds']:.2f} s: {ours['per_minute']:.0f} notebooks/minute "
        f"({ours['full_marks']}/{args.n} graded with full marks); class report "
        f"{1000 * ours['report_seconds']:.0f} ms = "
        f"{100 * ours['report_share']:.1f} % of the grading time (target < 5 %)"
    )
    ok = (args.mixed or ours["full_marks"] == args.n) and ours["report_share"] < 0.05
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

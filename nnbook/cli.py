"""The ``nnbook`` command.

``nnbook release`` makes exercises/ from solutions/; ``nnbook execute`` re-runs
notebooks in place to refresh their stored outputs; ``nnbook grade`` grades a
folder of handed-in exercise notebooks in a sandbox (:mod:`nnbook.grading`);
``nnbook gradescope`` builds the autograder zip for Gradescope.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnbook.fast_start import skip_iri_grammars

skip_iri_grammars()  # before nbformat imports jsonschema

from nnbook.release import ReleaseError, release  # noqa: E402


def _release(args: argparse.Namespace) -> int:
    try:
        changed = release(args.solutions, args.exercises, check_only=args.check)
    except ReleaseError as error:
        print(f"nnbook release: {error}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print(
                "Out of sync with solutions/: "
                + ", ".join(changed)
                + ". Run `nnbook release` (or `make release`) and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("exercises/ is in sync with solutions/.")
        return 0
    print(
        f"Wrote {len(changed)} exercise notebook(s)"
        + (": " + ", ".join(changed) if changed else ".")
    )
    return 0


def _execute(args: argparse.Namespace) -> int:
    from nnbook.notebooks import execute_in_place

    for path in args.notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            print(
                f"nnbook execute: {path} is not a notebook file (*.ipynb)",
                file=sys.stderr,
            )
            return 2
    for path in args.notebooks:
        print(f"executing {path}", file=sys.stderr)
        execute_in_place(path, timeout=args.timeout)
    return 0


def _grade(args: argparse.Namespace) -> int:
    from nnbook.grading import Limits, grade

    limits = Limits(
        cell_seconds=args.cell_timeout,
        notebook_seconds=args.notebook_timeout,
        memory_mib=args.memory,
        processes=args.processes,
        output_kib=args.output,
        file_size_mib=args.file_size,
        disk_mib=args.disk,
        open_files=args.open_files,
        notebook_mib=args.max_notebook,
        result_mib=args.max_result,
    )
    if not args.submissions.is_dir():
        print(f"nnbook grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    try:
        grade(
            args.release,
            args.submissions,
            args.out,
            limits,
            args.jobs,
            args.gradescope,
            args.sandbox,
            progress=not args.no_progress,
            names=args.names,
        )
    except (OSError, ValueError, RuntimeError) as error:
        print(f"nnbook grade: {error}", file=sys.stderr)
        return 2
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from nnbook.grading.gradescope import build

    try:
        out = build(args.release, args.out)
    except (OSError, ValueError) as error:
        print(f"nnbook gradescope: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {out}: upload it as the assignment's autograder on Gradescope.")
    return 0


def _add_gradescope(commands: argparse._SubParsersAction) -> None:
    gradescope = commands.add_parser(
        "gradescope",
        help="build the Gradescope autograder zip for a released exercise notebook",
        description="Build autograder.zip (setup.sh, run_autograder, the release "
        "and the course package with its checks) to upload to Gradescope. Each "
        "submission is then graded by `nnbook grade --gradescope`.",
    )
    gradescope.add_argument("release", type=Path, help="the released notebook")
    gradescope.add_argument(
        "--out", type=Path, default=Path("autograder.zip"), help="the zip to write"
    )
    gradescope.set_defaults(run=_gradescope)


def _add_grade(commands: argparse._SubParsersAction) -> None:
    from nnbook.grading.sandbox import Limits

    default = Limits()
    grade = commands.add_parser(
        "grade",
        help="grade a folder of handed-in notebooks in a sandbox",
        description="Grade handed-in notebooks (<folder>/<student>.ipynb or "
        "<folder>/<student>/<any>.ipynb) against a released exercise notebook. "
        "Writes <out>/grades.csv, <out>/feedback/ and <out>/grading.json.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    grade.add_argument("release", type=Path, help="the released exercise notebook")
    grade.add_argument("submissions", type=Path, help="folder of submissions")
    grade.add_argument("--out", type=Path, required=True, help="output folder")
    grade.add_argument(
        "--jobs", type=int, default=None, help="parallel workers (default: all cores)"
    )
    grade.add_argument(
        "--gradescope",
        action="store_true",
        help="also write Gradescope's results.json (one submission)",
    )
    grade.add_argument(
        "--sandbox",
        choices=["auto", "bwrap", "unshare", "none"],
        default="auto",
        help="isolation backend",
    )
    grade.add_argument(
        "--no-progress", action="store_true", help="no progress bar on stderr"
    )
    grade.add_argument(  # the class report (issue 15)
        "--names",
        action="store_true",
        help="name the students in <out>/report.html and report.md (by default "
        "the class report names no one, so it can be shown to the class)",
    )
    limits = grade.add_argument_group("limits (per submission)")
    for flag, dest, kind, text in [
        ("--cell-timeout", "cell_seconds", float, "seconds per cell (wall clock)"),
        (
            "--notebook-timeout",
            "notebook_seconds",
            float,
            "seconds per notebook (wall clock and CPU)",
        ),
        ("--memory", "memory_mib", int, "MiB of address space (RLIMIT_AS)"),
        ("--processes", "processes", int, "processes and threads (RLIMIT_NPROC)"),
        ("--output", "output_kib", int, "KiB of printed output kept; rest dropped"),
        ("--file-size", "file_size_mib", int, "MiB per written file (RLIMIT_FSIZE)"),
        ("--disk", "disk_mib", int, "MiB of the tmpfs home and of /tmp"),
        ("--open-files", "open_files", int, "open file descriptors (RLIMIT_NOFILE)"),
        ("--max-notebook", "notebook_mib", int, "MiB; larger files are unreadable"),
        ("--max-result", "result_mib", int, "MiB of check data a worker may send"),
    ]:
        limits.add_argument(flag, type=kind, default=getattr(default, dest), help=text)
    grade.set_defaults(run=_grade)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser(
        "release",
        help="make exercises/ from solutions/ (solution regions become stubs)",
    )
    rel.add_argument("--solutions", type=Path, default=Path("solutions"))
    rel.add_argument("--exercises", type=Path, default=Path("exercises"))
    rel.add_argument(
        "--check",
        action="store_true",
        help="only report notebooks that are out of sync",
    )
    rel.set_defaults(run=_release)
    exe = commands.add_parser(
        "execute",
        help="run notebooks in place and store their outputs (for authors; nbval "
        "compares against what this stores)",
    )
    exe.add_argument("notebooks", type=Path, nargs="+")
    exe.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    exe.set_defaults(run=_execute)
    _add_grade(commands)
    _add_gradescope(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

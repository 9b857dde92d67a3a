"""The course's speed on this machine, as one table: ``python -m bench``.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python -m bench                      # everything (8-10 min on 2 cores)
    .venv/bin/python -m bench --quick              # smoke test: 1 run, a subset
    .venv/bin/python -m bench --only sliders,grading --reps 5

Rows (each figure the median of ``--reps`` runs unless said otherwise; each
ratio from two measurements made in the same run):

* book build, clean (empty Jupyter cache, every notebook executed) and
  incremental (one code cell of one chapter edited, in a copy), seconds:
  :mod:`bench.build`;
* each chapter's execution in a kernel pinned to one CPU, one BLAS thread:
  :mod:`bench.chapters`;
* slider update, from a slider change to new figure bytes in a running kernel,
  median and 95th percentile over every move of every slider of the figure, and
  the ``ipywidgets.interactive`` + re-plot + ``plt.show()`` pattern timed in the
  same kernel (ratio = re-plot / ours): :mod:`bench.slider_callback`;
* grading, notebooks per minute for ``--submissions`` realistic hand-ins with
  ``nnbook grade`` on all cores, and nbgrader's way (each notebook executed in
  its own kernel with the checks inside it, as many kernels in parallel as
  cores; ratio = ours / that): :mod:`bench.grading`;
* chapter 8's NumPy network against PyTorch and against scikit-learn's
  ``MLPClassifier`` per epoch: :mod:`bench.training`;
* the PDF build (``make pdf``), once, after the first clean build;
* the heaviest page of the built site with everything it loads, counted from the
  files it references and as Chromium loads it (plain and gzipped):
  :mod:`bench.build`.

It prints the table with each row's target and whether it is met, and writes it
as JSON (default ``_build/bench/results.json``; the path is printed). Targets
are the course's own (see ``TARGETS``); they assume a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import build, chapters, grading, slider_callback, training  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = ROOT / "_build" / "bench" / "results.json"
QUICK_NOTE = ", QUICK: a subset, 1 run (not comparable with the targets)"
GROUPS = ("build", "chapters", "sliders", "grading", "training", "pages")


@dataclass(frozen=True)
class Target:
    """A bound a measured value must meet: ``value <op> limit``."""

    op: str  # "<", "<=" or ">="
    limit: float
    unit: str

    def met(self, value: float) -> bool:
        return {
            "<": value < self.limit,
            "<=": value <= self.limit,
            ">=": value >= self.limit,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}{self.unit}"


TARGETS = {
    "build.clean": Target("<", 60, " s"),
    "build.incremental": Target("<", 10, " s"),
    "chapter": Target("<", 20, " s"),
    "slider.median": Target("<", 30, " ms"),
    "slider.p95": Target("<", 60, " ms"),
    "slider.ratio": Target(">=", 3, "x"),
    "grading.rate": Target(">=", 120, "/min"),
    "grading.ratio": Target(">=", 5, "x"),
    "training.ratio": Target("<=", 1.5, "x"),  # NumPy seconds / PyTorch seconds
    "training.sklearn_ratio": Target("<=", 1.5, "x"),  # NumPy / MLPClassifier
    "grading.report": Target("<", 5, " %"),
    "training.transformer_ratio": Target("<=", 2, "x"),  # NumPy / PyTorch, ch. 11
    # the heaviest chapter page with every asset Chromium loads for it
    "pages.loaded": Target("<", 3, " MB"),
    "pages.loaded_gzip": Target("<", 1.5, " MB"),
}


@dataclass
class Row:
    """One line of the table (and one object of the JSON)."""

    key: str
    what: str
    value: float | None
    unit: str
    shown: str  # the value as printed
    target: str = ""
    met: bool | None = None  # None: no target, or nothing measured
    note: str = ""

    @classmethod
    def measured(
        cls,
        key: str,
        what: str,
        value: float,
        unit: str,
        fmt: str,
        target: str | None = None,
        note: str = "",
    ) -> Row:
        bound = TARGETS.get(target or key)
        return cls(
            key,
            what,
            value,
            unit,
            format(value, fmt) + unit,
            str(bound) if bound else "",
            bound.met(value) if bound else None,
            note,
        )

    @classmethod
    def missing(cls, key: str, what: str, why: str, target: str | None = None) -> Row:
        bound = TARGETS.get(target or key)
        return cls(key, what, None, "", why, str(bound) if bound else "", None)


# -- the rows, group by group -------------------------------------------------


def build_rows(ctx: dict) -> list[Row]:
    """Clean and incremental build of the book, in a copy (bench.build)."""
    workdir = Path(tempfile.mkdtemp(prefix="nnbook-bench-build-"))
    if ctx["keep"]:
        ctx["log"](f"  build folder (kept): {workdir}")
    else:
        ctx["cleanup"].append(workdir)
    toc = None
    if ctx["quick"]:
        toc = [
            "book/index",
            "book/00_how_to_use",
            f"book/{ctx['edit_chapter']}",
            "book/bibliography",
        ]
    result = build.time_builds(
        ctx["build_reps"], ctx["edit_chapter"], workdir, toc, log=ctx["log"]
    )
    ctx["details"]["build"] = result
    ctx["site"] = Path(result["site"])
    scope = (
        "whole book" if toc is None else "quick: chapters 0 and " + ctx["edit_chapter"]
    )
    note = f"{scope}, {ctx['cores']} cores, static frames on, as make book"
    if result["failed"]:  # keep the logs to read
        if workdir in ctx["cleanup"]:
            ctx["cleanup"].remove(workdir)
        note += f"; BUILD FAILED, see {result['failed'][0]}"

    def runs(key: str) -> str:
        # each run's seconds, and how many of them myst-nb spent executing notebooks
        executing = statistics.median(
            sum(r["executed_seconds"].values()) for r in result[key]
        )
        return (
            "runs "
            + ", ".join(f"{r['seconds']:.0f}" for r in result[key])
            + f"; executing notebooks {executing:.1f} s of it (median)"
        )

    pdf = result.get("pdf", {})
    if pdf.get("seconds") is None:
        pdf_row = Row.missing(
            "build.pdf", "PDF build (make pdf)", pdf.get("skipped", "")
        )
    else:
        pdf_row = Row.measured(
            "build.pdf",
            "PDF build (make pdf)",
            pdf["seconds"],
            " s",
            ".1f",
            note=f"outputs cached; exit {pdf['exit_code']}"
            + (f", {pdf['pdf_bytes'] / 1e6:.1f} MB" if pdf.get("pdf_bytes") else "")
            + ("" if pdf["exit_code"] == 0 else f"; FAILED, see {pdf['log']}"),
        )
    return [
        pdf_row,
        Row.measured(
            "build.clean",
            "Book build, clean (empty cache)",
            result["clean_seconds"],
            " s",
            ".1f",
            note=f"{note}; {runs('clean_runs')}",
        ),
        Row.measured(
            "build.incremental",
            f"Book build, incremental ({ctx['edit_chapter']} edited)",
            result["incremental_seconds"],
            " s",
            ".1f",
            note=runs("incremental_runs"),
        ),
    ]


def chapter_rows(ctx: dict) -> list[Row]:
    """Each chapter's execution in a one-CPU kernel (bench.chapters)."""
    results = chapters.time_chapters(ctx["chapters"], ctx["reps"], log=ctx["log"])
    ctx["details"]["chapters"] = results
    return [
        Row.measured(
            f"chapter.{r['chapter']}",
            f"Run {r['chapter']} on 1 CPU",
            r["seconds"],
            " s",
            ".1f",
            target="chapter",
            note=f"CPUs {r['affinity']}; kernel start "
            f"{r['startup_seconds']:.1f} s not included",
        )
        for r in results
    ]


def slider_rows(ctx: dict) -> list[Row]:
    """Slider updates against interact + re-plot, one kernel (bench.slider_callback)."""
    rows, details = [], []
    for path in ctx["chapters"]:
        ctx["log"](f"  sliders of {path.name}")
        figures = slider_callback.time_chapter(
            path, ctx["moves"], ctx["baseline_moves"]
        )
        for fig in figures:
            details.append({"chapter": path.stem, **fig})
            name = f"{path.stem}/{fig['figure']}"
            rows.append(
                Row.measured(
                    f"slider.{name}.median",
                    f"Slider {name}, median",
                    fig["median_ms"],
                    " ms",
                    ".1f",
                    target="slider.median",
                    note=f"{fig['moves']} moves, {fig['sliders']} sliders",
                )
            )
            rows.append(
                Row.measured(
                    f"slider.{name}.p95",
                    f"Slider {name}, p95",
                    fig["p95_ms"],
                    " ms",
                    ".1f",
                    target="slider.p95",
                )
            )
            if "baseline" in fig:
                base = fig["baseline"]
                rows.append(
                    Row.measured(
                        f"slider.{name}.ratio",
                        f"Slider {name}, re-plot / ours",
                        base["median_ms"] / fig["median_ms"],
                        "x",
                        ".1f",
                        target="slider.ratio",
                        note=f"re-plot median {base['median_ms']:.0f} ms, p95 "
                        f"{base['p95_ms']:.0f} ms over {base['moves']} changes",
                    )
                )
    ctx["details"]["sliders"] = details
    if not rows:
        rows.append(
            Row.missing(
                "slider", "Slider update", "no live figures found", "slider.median"
            )
        )
    return rows


def grading_rows(ctx: dict) -> list[Row]:
    """nnbook grade against nbclient-in-a-kernel, alternating, reps times."""
    n, chapter = ctx["submissions"], ctx["grade_chapter"]
    ours, theirs = [], []
    for rep in range(ctx["reps"]):
        with contextlib.redirect_stderr(io.StringIO()) as report:
            ours.append(grading.time_grade(n, chapter))
        ctx["details"]["sandbox_report"] = report.getvalue().splitlines()[:1]
        theirs.append(grading.time_in_kernel_baseline(n, chapter))
        ctx["log"](
            f"  grading {rep + 1}/{ctx['reps']}: ours "
            f"{ours[-1]['per_minute']:.0f}/min, in-kernel "
            f"{theirs[-1]['per_minute']:.0f}/min"
        )
    rate = statistics.median(r["per_minute"] for r in ours)
    base = statistics.median(r["per_minute"] for r in theirs)
    ratio = statistics.median(
        o["per_minute"] / t["per_minute"] for o, t in zip(ours, theirs, strict=True)
    )
    ctx["details"]["grading"] = {"ours": ours, "baseline": theirs, "chapter": chapter}
    full = min(r["full_marks"] for r in ours)
    full_base = min(r["full_marks"] for r in theirs)
    sandbox = " ".join(ctx["details"]["sandbox_report"]).split("sandbox = ")[-1]
    return [
        Row.measured(
            "grading.rate",
            f"Grading, nnbook grade ({chapter})",
            rate,
            "/min",
            ".0f",
            note=f"{n} submissions, {ours[0]['jobs']} jobs, sandbox "
            f"{sandbox}; {full}/{n} full marks",
        ),
        Row.measured(
            "grading.baseline",
            "Grading, in-kernel (nbgrader way)",
            base,
            "/min",
            ".0f",
            note=f"{theirs[0]['pattern']}; {full_base}/{n} all checks passed",
        ),
        Row.measured(
            "grading.ratio",
            "Grading, ours / in-kernel",
            ratio,
            "x",
            ".1f",
            note="median of per-run ratios",
        ),
        Row.measured(
            "grading.report",
            "Class report, share of grading time",
            100 * statistics.median(r["report_share"] for r in ours),
            " %",
            ".1f",
            note="report.html + report.md written after grading the same hand-ins",
        ),
    ]


def training_rows(ctx: dict) -> list[Row]:
    """Chapter 8's NumPy network per epoch against PyTorch and MLPClassifier
    (bench.training)."""
    result = training.compare(max(ctx["reps"], 3))
    ctx["details"]["training"] = result
    what = "Ch. 8 NumPy net / PyTorch, per epoch"
    if result["status"] != "measured":
        rows = [Row.missing("training.ratio", what, result["status"])]
    else:
        rows = [
            Row.measured(
                "training.ratio",
                what,
                result["ratio"],
                "x",
                ".2f",
                note=f"NumPy {result['numpy_seconds'] * 1000:.0f} ms, PyTorch "
                f"{result['torch_seconds'] * 1000:.0f} ms per epoch",
            )
        ]
    result = training.compare_transformer(max(ctx["reps"], 3))
    ctx["details"]["training_transformer"] = result
    if result["status"] != "measured":
        rows.append(
            Row.missing("training.transformer_ms", "Ch. 11 step", result["status"])
        )
    else:
        rows.append(
            Row.measured(
                "training.transformer_ms",
                "Ch. 11 transformer, one training step",
                result["numpy_ms_per_step"],
                " ms",
                ".1f",
                note="NumPy, one BLAS thread",
            )
        )
        if result.get("torch") == "measured":
            rows.append(
                Row.measured(
                    "training.transformer_ratio",
                    "Ch. 11 transformer step, NumPy / PyTorch",
                    result["ratio"],
                    "x",
                    ".2f",
                    note=f"PyTorch {result['torch_ms_per_step']:.1f} ms per step",
                )
            )
        else:
            rows.append(
                Row.missing(
                    "training.transformer_ratio",
                    "Ch. 11 transformer step, NumPy / PyTorch",
                    result.get("torch", "not measured"),
                )
            )
    result = training.compare_sklearn(max(ctx["reps"], 3))
    ctx["details"]["training_sklearn"] = result
    what = "Ch. 8 NumPy net / MLPClassifier, per epoch"
    if result["status"] != "measured":
        return [*rows, Row.missing("training.sklearn_ratio", what, result["status"])]
    return [
        *rows,
        Row.measured(
            "training.sklearn_ratio",
            what,
            result["ratio"],
            "x",
            ".2f",
            note=f"NumPy {result['numpy_seconds'] * 1000:.1f} ms, MLPClassifier "
            f"{result['sklearn_seconds'] * 1000:.1f} ms per epoch; Adam, batch "
            f"{result['batch']}, {result['epochs']} epochs, median of per-pair ratios",
        ),
    ]


def page_rows(ctx: dict) -> list[Row]:
    """The heaviest page of the built site, with all it loads (bench.build)."""
    site = ctx.get("site") or ctx["given_site"]
    if site is None or not Path(site).is_dir():
        return [
            Row.missing(
                "pages.largest",
                "Largest page weight",
                "no site (build not run; pass --site)",
            )
        ]
    weights = build.site_weights(Path(site))
    ctx["details"]["pages"] = weights
    top = weights[0]
    kinds = ", ".join(
        f"{k} {v / 1e6:.2f}"
        for k, v in sorted(top["by_kind"].items(), key=lambda kv: -kv[1])
    )
    note = (
        f"{top['page']}: {kinds} MB; {top['files']} files; "
        f"{top['gzip_bytes'] / 1e6:.2f} MB gzipped"
    )
    if top["remote"]:
        note += f"; {len(top['remote'])} remote URLs not counted"
    if ctx.get("site") is None:
        note += f"; site {site}"
    rows = [
        Row.measured(
            "pages.largest",
            "Largest page weight (files)",
            top["bytes"] / 1e6,
            " MB",
            ".2f",
            note=note,
        )
    ]
    try:
        loaded = build.loaded_weights(Path(site))
    except Exception as error:  # no Chromium or Playwright: say so, keep the rest
        why = f"not measured: {type(error).__name__}: {error}"[:160]
        return rows + [Row.missing("pages.loaded", "Largest page, loaded", why)]
    ctx["details"]["pages_loaded"] = loaded
    heaviest = loaded[0]
    packed = max(loaded, key=lambda r: r["gzip_bytes"])
    rows += [
        Row.measured(
            "pages.loaded",
            "Largest page, as Chromium loads it",
            heaviest["bytes"] / 1e6,
            " MB",
            ".2f",
            note=f"{heaviest['page']}: {heaviest['requests']} requests; largest "
            + ", ".join(
                f"{p.rsplit('/', 1)[-1]} {b / 1e6:.2f}"
                for p, b in heaviest["largest_files"][:3]
            ),
        ),
        Row.measured(
            "pages.loaded_gzip",
            "Largest page, loaded, gzipped",
            packed["gzip_bytes"] / 1e6,
            " MB",
            ".2f",
            note=f"{packed['page']} (text gzipped, images and fonts as they are)",
        ),
    ]
    return rows


MEASURE: dict[str, Callable[[dict], list[Row]]] = {
    "build": build_rows,
    "chapters": chapter_rows,
    "sliders": slider_rows,
    "grading": grading_rows,
    "training": training_rows,
    "pages": page_rows,
}


# -- the table and the JSON ---------------------------------------------------


def format_table(rows: list[Row]) -> str:
    """The rows as a plain-text table: what, measured, target, met, note."""
    head = ("what", "measured", "target", "met", "note")
    cells = [
        (
            r.what,
            r.shown,
            r.target or "-",
            {True: "yes", False: "NO", None: "-"}[r.met],
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(4)]
    lines = []
    for cell in [head, *cells]:
        lines.append(
            "  ".join(str(c).ljust(w) for c, w in zip(cell[:4], widths, strict=True))
            + "  "
            + cell[4]
        )
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(line.rstrip() for line in lines)


def summary(rows: list[Row]) -> str:
    """One line: how many targets were met, and which were missed."""
    judged = [r for r in rows if r.met is not None]
    missed = [r.what for r in judged if not r.met]
    text = f"targets met: {len(judged) - len(missed)}/{len(judged)}"
    return text + (f"; missed: {'; '.join(missed)}" if missed else "")


def write_json(path: Path, rows: list[Row], meta: dict, details: dict) -> Path:
    """The table, the run's circumstances and the raw measurements, as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "meta": meta,
        "rows": [asdict(r) for r in rows],
        "summary": summary(rows),
        "details": details,
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path


def machine() -> dict:
    """What the numbers depend on: cores, load, versions, the commit measured."""

    def git(*args: str) -> str:  # read-only queries
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import matplotlib
    import numpy

    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "matplotlib": matplotlib.__version__,
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain").splitlines()),
        "load_average_start": list(os.getloadavg()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1 run, 6 submissions, few slider moves, "
        "chapters 0 and 1 only, a two-chapter book",
    )
    parser.add_argument(
        "--only",
        default=",".join(GROUPS),
        help="comma-separated groups to run, of: " + ", ".join(GROUPS),
    )
    parser.add_argument("--reps", type=int, default=3, help="runs per figure")
    parser.add_argument(
        "--build-reps",
        type=int,
        default=None,
        help="clean+incremental build pairs (default: --reps)",
    )
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument(
        "--moves", type=int, default=40, help="values per slider for the live figures"
    )
    parser.add_argument(
        "--baseline-moves",
        type=int,
        default=24,
        help="re-plot changes per figure for the baseline",
    )
    parser.add_argument(
        "--chapters",
        nargs="*",
        type=Path,
        default=None,
        help="notebooks for the chapter and slider rows (default: book/NN_*.ipynb)",
    )
    parser.add_argument("--grade-chapter", default=grading.CHAPTER)
    parser.add_argument(
        "--edit-chapter",
        default="01_neurons",
        help="chapter edited for the incremental build",
    )
    parser.add_argument(
        "--site",
        type=Path,
        default=None,
        help="built site to weigh when the build is not run",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument(
        "--keep", action="store_true", help="keep the build folder (logs, site)"
    )
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s) {sorted(unknown)}; choose from {GROUPS}")
    if args.quick:
        args.reps, args.submissions = 1, 6
        args.moves, args.baseline_moves = 6, 4
        args.build_reps = 1
        if args.chapters is None:
            args.chapters = [
                ROOT / "book" / "00_how_to_use.ipynb",
                ROOT / "book" / f"{args.edit_chapter}.ipynb",
            ]
    if args.chapters is None:
        args.chapters = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    ctx = {
        "quick": args.quick,
        "reps": args.reps,
        "build_reps": args.build_reps or args.reps,
        "submissions": args.submissions,
        "moves": args.moves,
        "baseline_moves": args.baseline_moves,
        "chapters": [Path(p).resolve() for p in args.chapters],
        "grade_chapter": args.grade_chapter,
        "edit_chapter": args.edit_chapter,
        "given_site": args.site or (ROOT / "_build" / "html"),
        "cores": os.cpu_count(),
        "log": log,
        "details": {},
        "cleanup": [],
        "keep": args.keep,
    }
    meta = machine()
    quick = QUICK_NOTE if args.quick else ""
    meta.update(quick=args.quick, reps=args.reps, argv=sys.argv[1:])
    load = meta["load_average_start"][0]
    log(f"bench: {meta['cores']} cores, load average {load:.2f}{quick}")
    rows: list[Row] = []
    started = time.perf_counter()
    try:
        for group in [g for g in GROUPS if g in args.only.split(",")]:
            log(f"{group} ...")
            group_started = time.perf_counter()
            try:
                rows += MEASURE[group](ctx)
            except Exception as error:  # one broken group must not lose the others
                rows.append(
                    Row.missing(
                        group, group, f"FAILED: {type(error).__name__}: {error}"[:200]
                    )
                )
                log(f"  {group} failed: {error!r}")
            ctx["details"].setdefault("seconds", {})[group] = round(
                time.perf_counter() - group_started, 1
            )
    finally:
        for folder in ctx["cleanup"]:
            shutil.rmtree(folder, ignore_errors=True)
    meta["load_average_end"] = list(os.getloadavg())
    meta["seconds"] = round(time.perf_counter() - started, 1)
    path = write_json(args.json, rows, meta, ctx["details"])
    load = (
        f"load average {meta['load_average_start'][0]:.2f} at start, "
        f"{meta['load_average_end'][0]:.2f} at end"
    )
    print(f"nnbook bench, {meta['date']}, {meta['cores']} cores, {load}{quick}")
    print(format_table(rows))
    print(summary(rows))
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

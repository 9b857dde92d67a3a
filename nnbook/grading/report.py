"""What ``nnbook grade`` writes: grades.csv, feedback, results.json, grading.json."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from pathlib import Path

import nnbook
from nnbook import exercises
from nnbook.grading.notebook import Release
from nnbook.grading.run import Result

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_header(release: Release) -> list[str]:
    """The columns of grades.csv: one per exercise, named by its number."""
    return [
        "student",
        *release.exercises,
        "total",
        "max",
        "status",
        "reason",
        "grader_version",
        "checks_sha256",
    ]


def csv_row(release: Release, result: Result) -> list[str]:
    """One grades.csv row. A student id that a spreadsheet would read as a
    formula gets a leading apostrophe."""
    student = result.student
    if student.startswith(FORMULA_START):
        student = "'" + student
    points = [str(result.verdicts[n].points) for n in release.exercises]
    return [
        student,
        *points,
        str(result.points),
        str(max_points(release)),
        result.status,
        "; ".join(result.reasons),
        nnbook.__version__,
        release.checks_sha256,
    ]


def max_points(release: Release) -> int:
    """The most points the release's exercises can give (grades.csv ``max``)."""
    return sum(exercises.get(n).points for n in release.exercises)


def grades_csv(release: Release, results: list[Result]) -> str:
    """grades.csv as text (RFC 4180: quoted where needed, CRLF line ends), one row
    per submission, sorted by student id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_header(release))
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow(csv_row(release, result))
    return buffer.getvalue()


def md_text(text: object) -> str:
    """Student-controlled text made inert in Markdown: one line, HTML escaped,
    Markdown punctuation backslash-escaped (no heading, link, image or fence)."""
    line = " ".join(str(text).split())
    line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    line = html.escape(line, quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", line)


def md_block(text: str) -> list[str]:
    """Text shown verbatim in a fenced code block whose fence is longer than any
    run of backticks inside, so nothing in it can close the block."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() or c == "\n" else " " for c in text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *text.splitlines(), fence]


def feedback_markdown(release: Release, result: Result) -> str:
    """A student's feedback: every exercise, its points and, when it failed, the
    input, the expected and the obtained value (never a traceback). Everything the
    student's code or files could have put in it is escaped or fenced."""
    lines = [
        f"# Feedback: {md_text(result.student)}",
        "",
        f"Notebook: `{release.path.name}`. **{result.points} / {max_points(release)}"
        f" points.** Status: {result.status}.",
    ]
    if result.reasons:
        lines += ["", "What went wrong while running your notebook:", ""]
        lines += [f"- {md_text(reason)}" for reason in result.reasons]
    if result.notes:
        lines += [""] + [f"- {md_text(note)}" for note in result.notes]
    for number in release.exercises:
        verdict = result.verdicts[number]
        text = "\n".join(
            [verdict.report()]
            + [f"  Your answer cell raised {e}" for e in _errors(result, number)]
        )
        lines += [
            "",
            f"## Exercise {number}: {verdict.points} / {verdict.max_points}",
            "",
            *md_block(text),
        ]
    lines += [
        "",
        f"Graded by nnbook {nnbook.__version__}, checks sha256 "
        f"{release.checks_sha256[:16]}.",
        "",
    ]
    return "\n".join(lines)


def _errors(result: Result, number: str) -> list[str]:
    """Errors an answer cell raised, except the stub's own NotImplementedError."""
    return [
        e
        for e in result.cell_errors.get(number, [])
        if not e.startswith("NotImplementedError")
    ]


def gradescope_json(release: Release, result: Result) -> dict:
    """Gradescope's results.json for one submission: a top-level ``score`` and one
    test per exercise (``nnbook grade --gradescope``)."""
    tests = []
    for number in release.exercises:
        verdict = result.verdicts[number]
        output = "\n".join(
            [verdict.report()]
            + [f"  Your answer cell raised {e}" for e in _errors(result, number)]
        )
        tests.append(
            {
                "name": f"Exercise {number}: {verdict.title}",
                "number": number,
                "score": verdict.points,
                "max_score": verdict.max_points,
                "status": "passed" if verdict.passed else "failed",
                "output": output,
                "output_format": "text",
                "visibility": "visible",
            }
        )
    summary = f"Status: {result.status}."
    if result.reasons:
        summary += " " + "; ".join(result.reasons)
    return {
        "score": result.points,
        "output": summary + f" (nnbook {nnbook.__version__})",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def safe_name(student: str) -> str:
    """A file-name-safe slug of a student id (path separators and the like removed)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    return name[:100]


def feedback_name(student: str) -> str:
    """The feedback file of a student: ``<id>.md`` when the id is already a safe
    name, else its slug plus a short hash of the exact id. One-to-one and stable:
    ``victim b`` and ``victim_b`` never share (or swap) a file."""
    slug = safe_name(student)
    if slug == student and slug == slug.lower():  # case-insensitive file systems
        return f"{slug}.md"
    exact = student.encode("utf-8", "surrogatepass")
    return f"{slug}-{hashlib.sha256(exact).hexdigest()[:10]}.md"


def write_all(
    out: Path,
    release: Release,
    results: list[Result],
    limits: dict,
    sandbox: str,
    gradescope: bool,
) -> None:
    """Write grades.csv, feedback/<student>.md, grading.json and, with
    ``gradescope``, results.json into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "grades.csv").write_text(
        grades_csv(release, results), encoding="utf-8", errors="replace", newline=""
    )
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for result in sorted(results, key=lambda r: r.student):
        (feedback / feedback_name(result.student)).write_text(
            feedback_markdown(release, result), encoding="utf-8", errors="replace"
        )
    manifest = {
        "grader_version": nnbook.__version__,
        "checks_sha256": release.checks_sha256,
        "release": release.path.name,
        "exercises": list(release.exercises),
        "sandbox": sandbox,
        "limits": limits,
    }
    (out / "grading.json").write_text(json.dumps(manifest, indent=1) + "\n")
    if gradescope and results:
        (out / "results.json").write_text(
            json.dumps(gradescope_json(release, results[0]), indent=1) + "\n"
        )

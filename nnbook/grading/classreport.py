"""The class report ``nnbook grade`` writes: what the class got wrong.

A gradebook gives one number per student and exercise; before the next lecture an
instructor wants to know what the class misunderstood. The checks know more than a
score: each failed case has an input, an expected and an obtained value, and many
failures match a named :class:`~nnbook.exercises.Diagnosis`. This module adds them
up over the class and writes ``report.html`` (one self-contained file: inline CSS
and inline SVG figures, no script, no request leaves the page, light and dark
mode) and ``report.md`` with the same content.

For each exercise it counts the hand-ins that passed, failed, did not attempt it,
timed out or crashed in it, or could not be graded at all (unreadable file, grader
error); lists the diagnosed mistakes with how many hand-ins made them; and groups
the failures that matched no diagnosis by their first failing case, with one
example of expected against obtained. The exercises are ranked by how many
hand-ins did not pass them.

The report is meant to be shown to the class: it names no student unless
``names=True`` (``nnbook grade --names``), and examples have every student id
replaced. Text a student controls (obtained values, error messages) is cleaned of
control characters, truncated as in the feedback files and escaped for HTML or
Markdown.

What a verdict says is read from :class:`~nnbook.exercises.Verdict`: the
structured fields ``diagnoses`` (the hints that matched) and ``first_failure``
(``{"case", "call", "expected", "obtained" or "raised"}``) when the judge provides
them, otherwise its feedback lines (``Case N: ...``, ``expected ...``,
``obtained ...``, ``raised ...``, ``Hint: ...``).
"""

from __future__ import annotations

import functools
import html
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nnbook
from nnbook import exercises
from nnbook.exercises import MAX_TEXT, Verdict
from nnbook.grading.notebook import Release
from nnbook.grading.run import Result

# Per-exercise outcomes, in the order the report shows them.
PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
TIMED_OUT, CRASHED, NOT_GRADED = "timed out", "crashed", "not graded"
OUTCOMES = (PASSED, FAILED, NOT_ATTEMPTED, TIMED_OUT, CRASHED, NOT_GRADED)
# Okabe-Ito colours (colour-blind safe); each also has a text label in the report.
COLOURS = {
    PASSED: "#0072B2",
    FAILED: "#D55E00",
    NOT_ATTEMPTED: "#BBBBBB",
    TIMED_OUT: "#E69F00",
    CRASHED: "#CC79A7",
    NOT_GRADED: "#666666",
}
# Result.status values that mean the hand-in's code was never judged.
UNGRADED_STATUSES = ("unreadable", "error")
STATUS_LABELS = {
    "graded": "graded",
    "timeout": "timed out",
    "memory": "ran out of memory",
    "crashed": "crashed",
    "exited": "stopped the worker",
    "unreadable": "unreadable",
    "error": "not graded (grader error)",
}
TIME_WORDS = re.compile(r"time limit|ran longer than", re.IGNORECASE)
ABNORMAL_STARTS = ("0 points: your ", "Not graded")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
TOP_MISTAKES = 5
ELLIPSIS = "\u2026"


# ---------------------------------------------------------------------------
# Reading one verdict


@dataclass
class Failure:
    """What one hand-in got wrong in one exercise, as the report needs it.

    ``key`` groups failures that look alike (the same first failing case, or the
    same message with its numbers masked); ``label`` says what the group is;
    ``expected`` and ``obtained`` are one example (``obtained`` is student text).
    """

    hints: list[str]
    key: str
    label: str
    expected: str | None = None
    obtained: str | None = None


def known_hints(number: str) -> set[str] | None:
    """The hints of exercise ``number``'s diagnoses, or ``None`` if it is unknown."""
    try:
        return {d.hint.strip() for d in exercises.get(number).diagnoses}
    except KeyError:
        return None


def read_failure(verdict: Verdict, known: set[str] | None) -> Failure:
    """The diagnoses and first failing case of a failed verdict.

    Uses the verdict's structured fields ``diagnoses`` and ``first_failure`` when
    present; otherwise reads its feedback lines. Only hints of the exercise's own
    diagnoses count (``known``), so text that merely looks like a hint does not.
    """
    lines = [str(line).strip() for line in verdict.lines]
    hints = getattr(verdict, "diagnoses", None)
    if hints is None:
        hints = [ln[len("Hint: ") :] for ln in lines if ln.startswith("Hint: ")]
    hints = [h.strip() for h in hints if known is None or h.strip() in known]
    hints = list(dict.fromkeys(hints))
    first = getattr(verdict, "first_failure", None)
    if not isinstance(first, dict):
        first = _first_case(lines)
    if first:
        obtained = first.get("obtained")
        if obtained is None and first.get("raised") is not None:
            obtained = f"raised {first['raised']}"
        case = first.get("case")
        call = str(first.get("call", ""))
        return Failure(
            hints,
            key=f"case {case}",
            label=f"Case {case}: {call}" if call else f"Case {case}",
            expected=None if first.get("expected") is None else str(first["expected"]),
            obtained=None if obtained is None else str(obtained),
        )
    message = [ln for ln in lines if ln][:5] or ["(no message)"]
    head = message[0]
    masked = NUMBER.sub("#", QUOTED.sub("'...'", head))
    return Failure(
        hints, key="message " + masked, label=masked, obtained="; ".join(message)
    )


def _first_case(lines: list[str]) -> dict | None:
    """The first ``Case N: call`` block of a function exercise's feedback."""
    found: dict | None = None
    for line in lines:
        match = re.match(r"Case (\d+): (.*)", line)
        if match:
            if found is not None:
                break
            found = {"case": int(match.group(1)), "call": match.group(2)}
        elif found is not None:
            for word in ("expected", "obtained", "raised"):
                if line.startswith(word + " ") and word not in found:
                    found[word] = line[len(word) + 1 :]
    return found


def outcome(result: Result, number: str) -> str:
    """How a hand-in did in exercise ``number``: one of :data:`OUTCOMES`.

    An answer cell that raised before defining the answer is judged "not
    attempted" by the checks; the report counts it as failed (the student tried).
    """
    verdict = result.verdicts.get(number)
    if verdict is None:
        return NOT_GRADED
    if verdict.passed:
        return PASSED
    text = " ".join(str(line) for line in verdict.lines).strip()
    if text.startswith(ABNORMAL_STARTS):
        if text.startswith("Not graded") and result.status in UNGRADED_STATUSES:
            return NOT_GRADED
        return TIMED_OUT if TIME_WORDS.search(text) else CRASHED
    if verdict.status == "not attempted":
        return FAILED if answer_errors(result, number) else NOT_ATTEMPTED
    return FAILED


def answer_errors(result: Result, number: str) -> list[str]:
    """Errors exercise ``number``'s answer cell raised, except the stub's own."""
    return [
        str(e)
        for e in result.cell_errors.get(number, [])
        if not str(e).startswith("NotImplementedError")
    ]


# ---------------------------------------------------------------------------
# Adding up the class


@dataclass
class Group:
    """Hand-ins that made one mistake: a diagnosis, or one first failing case."""

    label: str
    students: list[str] = field(default_factory=list)
    examples: Counter = field(default_factory=Counter)  # (expected, obtained) -> n

    def example(self) -> tuple[str | None, str | None]:
        """The most common (expected, obtained) pair; ties go to the first seen."""
        if not self.examples:
            return None, None
        return self.examples.most_common(1)[0][0]


@dataclass
class ExerciseSummary:
    """One exercise over the whole class."""

    number: str
    title: str
    points: int
    outcomes: dict[str, list[str]] = field(
        default_factory=lambda: {o: [] for o in OUTCOMES}
    )
    diagnosed: dict[str, Group] = field(default_factory=dict)  # by hint
    undiagnosed: dict[str, Group] = field(default_factory=dict)  # by key

    def count(self, what: str) -> int:
        """How many hand-ins had outcome ``what``."""
        return len(self.outcomes[what])

    @property
    def not_passed(self) -> int:
        """Hand-ins that were graded but did not pass (the ranking's measure)."""
        return sum(self.count(o) for o in (FAILED, NOT_ATTEMPTED, TIMED_OUT, CRASHED))

    def mistakes(self) -> list[Group]:
        """Diagnosed mistakes, most common first."""
        return sorted(self.diagnosed.values(), key=lambda g: -len(g.students))

    def unexplained(self) -> list[Group]:
        """Failures no diagnosis matched, grouped, most common first."""
        return sorted(self.undiagnosed.values(), key=lambda g: -len(g.students))


@dataclass
class ClassSummary:
    """Everything the report shows, before it is rendered."""

    release: str
    checks_sha256: str
    max_points: int
    students: list[str]
    statuses: dict[str, list[str]]  # Result.status -> students
    reasons: dict[str, list[str]]  # student -> why their run was not clean
    scores: list[int]  # totals of the hand-ins that were read
    exercises: list[ExerciseSummary]

    @property
    def size(self) -> int:
        """Hand-ins in the class (every submission, readable or not)."""
        return len(self.students)

    def ranking(self) -> list[ExerciseSummary]:
        """Exercises by how many hand-ins did not pass them, most first."""
        order = {e.number: k for k, e in enumerate(self.exercises)}
        return sorted(self.exercises, key=lambda e: (-e.not_passed, order[e.number]))

    def top_mistakes(self, k: int = TOP_MISTAKES) -> list[tuple[str, Group]]:
        """The ``k`` most common diagnosed mistakes over all exercises."""
        every = [(e.number, g) for e in self.exercises for g in e.mistakes()]
        return sorted(every, key=lambda item: -len(item[1].students))[:k]


def summarise(release: Release, results: list[Result]) -> ClassSummary:
    """Add up every hand-in's verdicts (the data behind the report)."""
    results = sorted(results, key=lambda r: r.student)
    summary = ClassSummary(
        release=release.path.name,
        checks_sha256=release.checks_sha256,
        max_points=0,
        students=[r.student for r in results],
        statuses={},
        reasons={},
        scores=[],
        exercises=[],
    )
    for number in release.exercises:
        try:
            exercise = exercises.get(number)
            title, points = exercise.title, exercise.points
        except KeyError:
            title, points = "", 0
        summary.exercises.append(ExerciseSummary(number, title, points))
        summary.max_points += points
    known = {number: known_hints(number) for number in release.exercises}
    for result in results:
        summary.statuses.setdefault(result.status, []).append(result.student)
        if result.reasons:
            summary.reasons[result.student] = list(result.reasons)
        if result.status not in UNGRADED_STATUSES:
            summary.scores.append(result.points)
        for entry in summary.exercises:
            try:
                _add(entry, result, known[entry.number])
            except Exception as error:  # a verdict of a shape this module lacks
                entry.outcomes[FAILED].append(result.student)
                group = entry.undiagnosed.setdefault(
                    "unreadable verdict", Group("(the verdict could not be read)")
                )
                group.students.append(result.student)
                group.examples[(None, type(error).__name__)] += 1
    return summary


def _add(entry: ExerciseSummary, result: Result, known: set[str] | None) -> None:
    what = outcome(result, entry.number)
    entry.outcomes[what].append(result.student)
    if what != FAILED:
        return
    verdict = result.verdicts[entry.number]
    errors = answer_errors(result, entry.number)
    if verdict.status == "not attempted" and errors:
        kind = errors[0].split(":", 1)[0].strip()
        failure = Failure(
            [], f"raised {kind}", f"The answer cell raised {kind}", obtained=errors[0]
        )
    else:
        failure = read_failure(verdict, known)
    example = (failure.expected, failure.obtained)
    if failure.hints:
        for hint in failure.hints:
            group = entry.diagnosed.setdefault(hint, Group(hint))
            group.students.append(result.student)
            group.examples[example] += 1
    else:
        group = entry.undiagnosed.setdefault(failure.key, Group(failure.label))
        group.students.append(result.student)
        group.examples[example] += 1


# ---------------------------------------------------------------------------
# Text a student controls


def clean(text: str | None, students: tuple = (), limit: int = MAX_TEXT) -> str:
    """Student text made safe to show: one line, no control or format characters,
    every student id in ``students`` replaced, at most ``limit`` characters (as in
    the feedback files). Escaping for HTML or Markdown comes after this."""
    if text is None:
        return ""
    text = str(text)[: 4 * limit]  # enough for ids that straddle the limit
    pattern = _id_pattern(tuple(students))
    if pattern is not None:
        text = pattern.sub("[a student]", text)
    text = "".join(
        " " if c in "\r\n\t" else (c if c.isprintable() else "\ufffd") for c in text
    )
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


@functools.lru_cache(maxsize=4)
def _id_pattern(students: tuple[str, ...]) -> re.Pattern | None:
    """Every student id of three characters or more, where it stands as a whole
    word (so the id "123" leaves 0.1234 alone)."""
    ids = sorted((s for s in students if len(s) >= 3), key=len, reverse=True)
    if not ids:
        return None
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, ids)) + r")(?!\w)")


def md_code(text: str, in_table: bool = False) -> str:
    """``text`` (already :func:`clean`) as a Markdown code span: shown verbatim,
    never read as Markdown or HTML."""
    if not text:
        return "(nothing)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def md_text(text: str, in_table: bool = False) -> str:
    """Instructor text (a hint, a title) for Markdown: kept as written, but on one
    line and, in a table, with ``|`` escaped."""
    text = clean(text, limit=10 * MAX_TEXT)
    return text.replace("|", "\\|") if in_table else text


def html_text(text: str) -> str:
    """Instructor text for HTML: escaped, with its Markdown `code` and *emphasis*
    kept as <code> and <em>."""
    escaped = html.escape(clean(text, limit=10 * MAX_TEXT))
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*([^*\s](?:[^*]*[^*\s])?)\*", r"<em>\1</em>", escaped)


def html_code(text: str) -> str:
    """Student text (already :func:`clean`) for HTML: escaped, in <code>."""
    return f"<code>{html.escape(text)}</code>" if text else "(nothing)"


def share(count: int, total: int) -> str:
    """``"14 of 60 (23 %)"``."""
    percent = 100 * count / total if total else 0.0
    return f"{count} of {total} ({percent:.0f} %)"


# ---------------------------------------------------------------------------
# Figures (inline SVG, styled by the page's CSS so they follow light/dark mode)


def histogram(scores: list[int], max_points: int) -> list[tuple[str, int]]:
    """Score bins as (label, hand-ins): one per point up to 30 points, else ~20."""
    width = 1 if max_points <= 30 else math.ceil((max_points + 1) / 20)
    bins = []
    for low in range(0, max_points + 1, width):
        high = min(low + width - 1, max_points)
        label = str(low) if high == low else f"{low}-{high}"
        bins.append((label, sum(low <= s <= high for s in scores)))
    return bins


def scores_svg(bins: list[tuple[str, int]], graded: int) -> str:
    """The score distribution as a bar chart."""
    width, height, left, bottom, top = 520, 200, 44, 40, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max((n for _, n in bins), default=0) or 1
    step = plot_w / max(len(bins), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="scores-title scores-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="scores-title">Score distribution</title>',
        f'<desc id="scores-desc">Number of hand-ins per total score, for the '
        f"{graded} hand-ins that were graded.</desc>",
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 10}" '
        f'y2="{top + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
    ]
    for value in sorted({0, peak, peak // 2}):
        y = top + plot_h - plot_h * value / peak
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    every = max(1, math.ceil(len(bins) / 16))
    for k, (label, n) in enumerate(bins):
        x = left + k * step
        h = plot_h * n / peak
        if n:
            parts.append(
                f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}"'
                f' width="{step * 0.8:.1f}" height="{h:.1f}"><title>{label} points: '
                f"{n} hand-in{'s' if n != 1 else ''}</title></rect>"
            )
        if k % every == 0:
            parts.append(
                f'<text class="tick" x="{x + step / 2:.1f}" y="{top + plot_h + 15}" '
                f'text-anchor="middle">{label}</text>'
            )
    parts += [
        f'<text class="label" x="{left + plot_w / 2:.1f}" y="{height - 6}" '
        'text-anchor="middle">total points</text>',
        f'<text class="label" x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">hand-ins</text>',
        "</svg>",
    ]
    return "".join(parts)


def outcomes_svg(summary: ClassSummary) -> str:
    """Each exercise as one bar split by outcome (share of the class)."""
    rows = summary.exercises
    row_h, left, width = 24, 52, 520
    legend_y = len(rows) * row_h + 14
    height = legend_y + 40
    plot_w = width - left - 10
    total = summary.size or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="outcomes-title '
        'outcomes-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="outcomes-title">Outcome of each exercise</title>',
        '<desc id="outcomes-desc">For each exercise, the share of hand-ins that '
        "passed, failed, did not attempt it, timed out, crashed or were not "
        "graded; the table gives the numbers.</desc>",
    ]
    for k, entry in enumerate(rows):
        y = k * row_h + 4
        parts.append(
            f'<text class="tick" x="{left - 8}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(entry.number)}</text>"
        )
        x = float(left)
        for what in OUTCOMES:
            n = entry.count(what)
            if not n:
                continue
            w = plot_w * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{COLOURS[what]}"><title>{html.escape(entry.number)} {what}: '
                f"{n}</title></rect>"
            )
            x += w
    for k, what in enumerate(OUTCOMES):  # the legend: two rows of three
        x, y = left + (k % 3) * 150, legend_y + (k // 3) * 18
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[what]}"/>'
            f'<text class="tick" x="{x + 16}" y="{y + 11}">{what}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------
# Markdown


def _status_line(summary: ClassSummary) -> str:
    parts = [
        f"{len(students)} {STATUS_LABELS.get(status, status)}"
        for status, students in sorted(
            summary.statuses.items(), key=lambda item: (item[0] != "graded", item[0])
        )
    ]
    return f"{summary.size} hand-in{'s' if summary.size != 1 else ''}: " + (
        ", ".join(parts) or "none"
    )


def _score_line(summary: ClassSummary) -> str:
    if not summary.scores:
        return "No hand-in could be graded."
    return (
        f"Total score of the {len(summary.scores)} graded hand-ins: median "
        f"{statistics.median(summary.scores):g}, mean "
        f"{statistics.fmean(summary.scores):.1f} of {summary.max_points} points; "
        f"{sum(s == summary.max_points for s in summary.scores)} with full marks."
    )


def _names(students: list[str]) -> str:
    return ", ".join(clean(s, limit=100) for s in students)


def render_markdown(summary: ClassSummary, names: bool = False) -> str:
    """The report as Markdown (``report.md``)."""
    size = summary.size
    hide = () if names else tuple(summary.students)
    out = [
        f"# What the class got wrong: {md_text(summary.release)}",
        "",
        _status_line(summary) + ".",
        _score_line(summary),
        "",
        "## Most common mistakes",
        "",
    ]
    top = summary.top_mistakes()
    if top:
        out += [
            f"{k}. {number}: {md_text(group.label)} \u2014 "
            f"{share(len(group.students), size)}"
            for k, (number, group) in enumerate(top, start=1)
        ]
    else:
        out.append("No failure matched a known mistake.")
    out += [
        "",
        "## Where the class stands",
        "",
        "Exercises ranked by how many hand-ins did not pass them (failed, did not "
        "attempt, timed out or crashed).",
        "",
        "| rank | exercise | did not pass | " + " | ".join(OUTCOMES) + " |",
        "|---:|---|---:|" + "---:|" * len(OUTCOMES),
    ]
    for rank, entry in enumerate(summary.ranking(), start=1):
        cells = [str(entry.count(o)) for o in OUTCOMES]
        out.append(
            f"| {rank} | {entry.number} {md_text(entry.title, True)} | "
            f"{entry.not_passed} | " + " | ".join(cells) + " |"
        )
    bins = histogram(summary.scores, summary.max_points)
    peak = max((n for _, n in bins), default=0) or 1
    label_w = max((len(label) for label, _ in bins), default=1)
    out += ["", "## Score distribution", "", "```text", "points  hand-ins"]
    for label, n in bins:
        bar = "#" * round(30 * n / peak)
        out.append(f"{label:>{max(label_w, 6)}}  {bar}{' ' if bar else ''}{n}")
    out += ["```", ""]
    for entry in summary.exercises:
        out += [
            f"## Exercise {entry.number}: {md_text(entry.title)} "
            f"({entry.points} points)",
            "",
            ", ".join(f"{o} {entry.count(o)}" for o in OUTCOMES) + f" (of {size}).",
            "",
        ]
        mistakes = entry.mistakes()
        if mistakes:
            out += ["Diagnosed mistakes:", ""]
            for group in mistakes:
                out.append(
                    f"- {entry.number}: {md_text(group.label)} \u2014 "
                    f"{share(len(group.students), size)}"
                )
                if names:
                    out.append(f"  - hand-ins: {md_code(_names(group.students))}")
            out.append("")
        groups = entry.unexplained()
        if groups:
            out += ["Failures that matched no diagnosis, by first failing case:", ""]
            for group in groups:
                expected, obtained = group.example()
                out.append(
                    f"- {md_code(clean(group.label, hide))} \u2014 "
                    f"{share(len(group.students), size)}"
                )
                example = []
                if expected is not None:
                    example.append(f"expected {md_code(clean(expected, hide))}")
                if obtained is not None:
                    example.append(f"obtained {md_code(clean(obtained, hide))}")
                if example:
                    out.append("  - for example: " + ", ".join(example))
                if names:
                    out.append(f"  - hand-ins: {md_code(_names(group.students))}")
            out.append("")
        if not mistakes and not groups:
            out += ["No wrong answer.", ""]
    out += _md_unclean(summary, names)
    out += [_footer(summary, names), ""]
    return "\n".join(out)


def _md_unclean(summary: ClassSummary, names: bool) -> list[str]:
    if not names or not summary.reasons:
        return []
    out = [
        "## Hand-ins that did not run cleanly",
        "",
        "| hand-in | status | why |",
        "|---|---|---|",
    ]
    statuses = {s: status for status, ss in summary.statuses.items() for s in ss}
    for student, reasons in summary.reasons.items():
        out.append(
            f"| {md_code(clean(student, limit=100), True)} | {statuses[student]} | "
            f"{md_code(clean('; '.join(reasons)), True)} |"
        )
    return out + [""]


def _footer(summary: ClassSummary, names: bool) -> str:
    who = (
        "Students are named (--names)."
        if names
        else "No student is named; examples have student ids removed."
    )
    return (
        f"nnbook {nnbook.__version__}, checks sha256 {summary.checks_sha256[:16]}. "
        f"A hand-in counts once under each diagnosis its failing cases matched. {who}"
    )


# ---------------------------------------------------------------------------
# HTML

CSS = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #555;
  --rule: #d0d0d0; --bar: #0072B2; --code: #f2f2f2; --link: #0050a0; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #16181c; --muted: #aaa; --rule: #444;
    --bar: #56B4E9; --code: #262a30; --link: #8cc8ff; }
}
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); max-width: 60rem; margin: 0 auto;
  padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.2rem 0.6rem;
  text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; } td.ex { min-width: 14rem; }
a { color: var(--link); }
code { background: var(--code); padding: 0 0.2em; border-radius: 3px;
  overflow-wrap: anywhere; font-size: 0.9em; }
.muted, figcaption { color: var(--muted); font-size: 0.9rem; }
figure { margin: 1rem 0; } svg.chart { max-width: 100%; height: auto; }
svg .axis { stroke: var(--muted); } svg .bar { fill: var(--bar); }
svg text { fill: var(--fg); font-size: 12px; } svg .label { font-size: 13px; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em;
  vertical-align: baseline; margin-right: 0.25em; }
"""
# Nothing may load: no script, no remote style, image or font, no form target.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def render_html(summary: ClassSummary, names: bool = False) -> str:
    """The report as one self-contained HTML page (``report.html``)."""
    size = summary.size
    hide = () if names else tuple(summary.students)
    esc = html.escape
    title = f"What the class got wrong: {clean(summary.release, limit=200)}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{esc(_status_line(summary))}.<br>{esc(_score_line(summary))}</p>",
        "<h2>Most common mistakes</h2>",
    ]
    top = summary.top_mistakes()
    if top:
        out.append("<ol>")
        out += [
            f"<li><strong>{esc(number)}</strong>: {html_text(group.label)} \u2014 "
            f"{share(len(group.students), size)}</li>"
            for number, group in top
        ]
        out.append("</ol>")
    else:
        out.append("<p>No failure matched a known mistake.</p>")
    out += [
        "<h2>Where the class stands</h2>",
        "<p>Exercises ranked by how many hand-ins did not pass them (failed, did "
        "not attempt, timed out or crashed).</p>",
        '<table id="ranking"><thead><tr><th class="n">rank</th><th>exercise</th>'
        '<th class="n">did not pass</th>'
        + "".join(
            f'<th class="n"><span class="swatch" style="background:{COLOURS[o]}">'
            f"</span>{o}</th>"
            for o in OUTCOMES
        )
        + "</tr></thead><tbody>",
    ]
    for rank, entry in enumerate(summary.ranking(), start=1):
        out.append(
            f'<tr data-exercise="{esc(entry.number)}"><td class="n">{rank}</td>'
            f'<td class="ex"><a href="#ex-{esc(entry.number)}">'
            f"{esc(entry.number)}</a> "
            f'{html_text(entry.title)}</td><td class="n">{entry.not_passed}</td>'
            + "".join(
                f'<td class="n" data-outcome="{o}">{entry.count(o)}</td>'
                for o in OUTCOMES
            )
            + "</tr>"
        )
    bins = histogram(summary.scores, summary.max_points)
    out += [
        "</tbody></table>",
        f"<figure>{outcomes_svg(summary)}<figcaption>Outcome of each exercise, as a "
        f"share of the {size} hand-ins.</figcaption></figure>",
        "<h2>Score distribution</h2>",
        f"<figure>{scores_svg(bins, len(summary.scores))}"
        f"<figcaption>Total points of the {len(summary.scores)} graded hand-ins "
        f"(maximum {summary.max_points}); unreadable hand-ins are left out."
        "</figcaption></figure>",
    ]
    for entry in summary.exercises:
        out += [
            f'<section id="ex-{esc(entry.number)}" class="exercise">',
            f"<h2>Exercise {esc(entry.number)}: {html_text(entry.title)} "
            f"({entry.points} points)</h2>",
            "<p>"
            + ", ".join(
                f'<span data-outcome="{o}">{o} {entry.count(o)}</span>'
                for o in OUTCOMES
            )
            + f" (of {size}).</p>",
        ]
        mistakes = entry.mistakes()
        if mistakes:
            out += [
                "<h3>Diagnosed mistakes</h3>",
                '<table class="mistakes"><thead><tr><th>mistake</th>'
                '<th class="n">hand-ins</th>'
                + ("<th>who</th>" if names else "")
                + "</tr></thead><tbody>",
            ]
            for group in mistakes:
                out.append(
                    f"<tr><td>{esc(entry.number)}: {html_text(group.label)}</td>"
                    f'<td class="n">{share(len(group.students), size)}</td>'
                    + (f"<td>{html_code(_names(group.students))}</td>" if names else "")
                    + "</tr>"
                )
            out.append("</tbody></table>")
        groups = entry.unexplained()
        if groups:
            out += [
                "<h3>Failures that matched no diagnosis, by first failing case</h3>",
                '<table class="unexplained"><thead><tr>'
                "<th>first failing case or message</th>"
                '<th class="n">hand-ins</th><th>for example</th>'
                + ("<th>who</th>" if names else "")
                + "</tr></thead><tbody>",
            ]
            for group in groups:
                expected, obtained = group.example()
                example = []
                if expected is not None:
                    example.append(f"expected {html_code(clean(expected, hide))}")
                if obtained is not None:
                    example.append(f"obtained {html_code(clean(obtained, hide))}")
                out.append(
                    f"<tr><td>{html_code(clean(group.label, hide))}</td>"
                    f'<td class="n">{share(len(group.students), size)}</td>'
                    f"<td>{'<br>'.join(example)}</td>"
                    + (f"<td>{html_code(_names(group.students))}</td>" if names else "")
                    + "</tr>"
                )
            out.append("</tbody></table>")
        if not mistakes and not groups:
            out.append("<p>No wrong answer.</p>")
        out.append("</section>")
    if names and summary.reasons:
        statuses = {s: status for status, ss in summary.statuses.items() for s in ss}
        out += [
            "<h2>Hand-ins that did not run cleanly</h2>",
            "<table><thead><tr><th>hand-in</th><th>status</th><th>why</th></tr>"
            "</thead><tbody>",
        ]
        out += [
            f"<tr><td>{html_code(clean(student, limit=100))}</td>"
            f"<td>{esc(statuses[student])}</td>"
            f"<td>{html_code(clean('; '.join(reasons)))}</td></tr>"
            for student, reasons in summary.reasons.items()
        ]
        out.append("</tbody></table>")
    out += [
        f'<p class="muted">{esc(_footer(summary, names))}</p>',
        "</body></html>",
        "",
    ]
    return "\n".join(out)


def write_report(
    out: Path, release: Release, results: list[Result], names: bool = False
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``out`` (``nnbook grade``);
    return their paths. Students are named only with ``names``."""
    summary = summarise(release, results)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(render_html(summary, names), encoding="utf-8")
    md_path.write_text(render_markdown(summary, names), encoding="utf-8")
    return html_path, md_path

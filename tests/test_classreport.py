"""The class report (``grading-out/report.html`` and ``report.md``, issue 15).

Most tests add up a synthetic class: verdicts made by the real judge from plain
data that behaves like a learner who is right, makes each diagnosed mistake,
gives another wrong answer or leaves the exercise blank, plus hand-ins that
crashed, timed out or were unreadable. The wrong answers come from the
exercises' own :class:`~nnbook.exercises.Diagnosis` objects at test time, so the
tests follow chapter 1 when its exercises change. One test grades a small class
for real with ``nnbook grade`` and reads the counts back from the report.
"""

from __future__ import annotations

import functools
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
from markdown_it import MarkdownIt

from nnbook import cli, exercises
from nnbook.exercises import MAX_TEXT, Verdict
from nnbook.grading import classreport, notebook
from nnbook.grading.classreport import (
    CRASHED,
    FAILED,
    NOT_ATTEMPTED,
    NOT_GRADED,
    OUTCOMES,
    PASSED,
    TIMED_OUT,
)
from nnbook.grading.run import Result
from nnbook.grading.worker import strip_magics

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import grading as make  # noqa: E402  (the answers a class hands in)

RELEASE = ROOT / "exercises" / "01_neurons.ipynb"


@pytest.fixture(scope="module")
def release() -> notebook.Release:
    return notebook.load_release(RELEASE)


def function_exercises(release: notebook.Release) -> list[exercises.Exercise]:
    return [exercises.get(n) for n in release.exercises if exercises.get(n).is_function]


@functools.cache
def solution_namespace() -> dict:
    """The solution notebook run in this process, as the grader runs a hand-in:
    every code cell but the checks."""
    namespace: dict = {"__name__": "__notebook__"}
    solution = nbformat.read(ROOT / "solutions" / RELEASE.name, as_version=4)
    for cell in solution.cells:
        if cell.cell_type == "code" and (
            cell.metadata.get("nnbook", {}).get("role") != "check"
        ):
            exec(compile(strip_magics(cell.source), cell.id, "exec"), namespace)
    return namespace


def judged(exercise: exercises.Exercise, kind: str) -> Verdict:
    """The real judge's verdict on a learner who does ``kind`` in ``exercise``."""
    if kind == "blank":
        return exercises.judge(exercise, {"status": "not attempted"})
    if kind == "right":
        return exercises.judge(
            exercise, exercises.probe(exercise, solution_namespace())
        )
    if not exercise.is_function:
        namespace = {"np": np}
        exec(make.wrong_value_source(exercise), namespace)
        return exercises.judge(exercise, exercises.probe(exercise, namespace))
    if kind.startswith("diagnosis-"):
        outputs = make.diagnosis_outputs(exercise, int(kind.split("-")[1]))
    else:
        outputs = make.undiagnosed_outputs(exercise, only_last=kind == "wrong-last")
    probed = {
        "status": "ran",
        "outcomes": [{"value": exercises.encode(v)} for v in outputs],
    }
    return exercises.judge(exercise, probed)


def hand_in(
    release: notebook.Release, student: str, kinds: dict[str, str] | None = None
) -> Result:
    """A graded hand-in: each exercise judged as ``kinds`` says (default right)."""
    result = Result(student, None)
    for number in release.exercises:
        kind = (kinds or {}).get(number, "right")
        result.verdicts[number] = judged(exercises.get(number), kind)
    return result


def broken(release: notebook.Release, student: str, number: str, how: str) -> Result:
    """A hand-in whose answer cell for ``number`` crashed or timed out, as
    :func:`nnbook.grading.run.grade_one` records it."""
    result = hand_in(release, student)
    exercise = exercises.get(number)
    reason = {
        "crashed": "was killed by SIGSEGV",
        "timeout": "ran longer than the limit of 3 s per cell",
    }[how]
    result.worsen(how, f"exercise {number}: its answer cell {reason}")
    result.verdicts[number] = Verdict(
        number,
        exercise.title,
        "failed",
        0,
        exercise.points,
        [f"0 points: your answer cell {reason}."],
    )
    return result


def unreadable(release: notebook.Release, student: str) -> Result:
    result = Result(student, None)
    result.worsen("unreadable", "the file is not valid JSON, so not a notebook")
    for number in release.exercises:
        exercise = exercises.get(number)
        result.verdicts[number] = Verdict(
            number,
            exercise.title,
            "failed",
            0,
            exercise.points,
            ["Not graded: the file is not valid JSON, so not a notebook."],
        )
    return result


@pytest.fixture(scope="module")
def synthetic_class(release: notebook.Release) -> tuple[list[Result], dict]:
    """A class and what the report must say about it (per exercise: outcome
    counts, diagnosis counts by hint, undiagnosed counts by first failing case)."""
    results = [hand_in(release, "stu-right-1"), hand_in(release, "stu-right-2")]
    most = max(len(e.diagnoses) for e in function_exercises(release))
    for k in range(most):
        kinds = {
            e.number: f"diagnosis-{k}"
            for e in function_exercises(release)
            if k < len(e.diagnoses)
        }
        results.append(hand_in(release, f"stu-diag-{k}", kinds))
    every = {n: "wrong" for n in release.exercises}
    results.append(hand_in(release, "stu-wrong", every))
    last = {e.number: "wrong-last" for e in function_exercises(release)}
    results.append(hand_in(release, "stu-wrong-last", last))
    results.append(hand_in(release, "stu-blank", dict.fromkeys(every, "blank")))
    syntax = hand_in(release, "stu-syntax", {release.exercises[0]: "blank"})
    syntax.cell_errors[release.exercises[0]] = ["SyntaxError: invalid syntax"]
    results.append(syntax)
    results.append(broken(release, "stu-crash", release.exercises[0], "crashed"))
    results.append(broken(release, "stu-loop", release.exercises[1], "timeout"))
    results.append(unreadable(release, "stu-garbage"))

    expected: dict[str, dict] = {}
    for number in release.exercises:
        exercise = exercises.get(number)
        outcomes = Counter({PASSED: 2, NOT_ATTEMPTED: 1, NOT_GRADED: 1})
        outcomes[FAILED] += 1  # stu-wrong
        hints: Counter = Counter()
        cases: Counter = Counter()
        if exercise.is_function:
            cases["case 1"] += 1  # stu-wrong fails from the first case
            outcomes[FAILED] += 1  # stu-wrong-last
            cases[f"case {len(exercise.cases)}"] += 1
            for k in range(most):
                if k < len(exercise.diagnoses):
                    outcomes[FAILED] += 1
                    hint = make.hints_for(exercise, make.diagnosis_outputs(exercise, k))
                    hints.update(hint)
                else:
                    outcomes[PASSED] += 1
        else:
            outcomes[PASSED] += most + 1  # the diagnosis hand-ins and stu-wrong-last
        outcomes[FAILED if number == release.exercises[0] else PASSED] += 1  # syntax
        outcomes[CRASHED if number == release.exercises[0] else PASSED] += 1
        outcomes[TIMED_OUT if number == release.exercises[1] else PASSED] += 1
        expected[number] = {"outcomes": outcomes, "hints": hints, "cases": cases}
    return results, expected


# -- reading verdicts ----------------------------------------------------------------


def test_every_diagnosis_of_every_exercise_is_recognised(
    release: notebook.Release,
) -> None:
    for exercise in function_exercises(release):
        known = classreport.known_hints(exercise.number)
        for k, diagnosis in enumerate(exercise.diagnoses):
            verdict = judged(exercise, f"diagnosis-{k}")
            failure = classreport.read_failure(verdict, known)
            assert diagnosis.hint.strip() in failure.hints or failure.hints == (
                make.hints_for(exercise, make.diagnosis_outputs(exercise, k))
            ), (exercise.number, k)
            assert failure.hints


def test_first_failing_case_and_its_values_are_read_from_the_feedback(
    release: notebook.Release,
) -> None:
    exercise = function_exercises(release)[0]
    verdict = judged(exercise, "wrong-last")
    failure = classreport.read_failure(
        verdict, classreport.known_hints(exercise.number)
    )
    last = len(exercise.cases)
    assert failure.key == f"case {last}" and failure.hints == []
    assert failure.label.startswith(f"Case {last}: {exercise.answer}(")
    assert failure.expected == exercises.describe(make.expected_outputs(exercise)[-1])
    assert failure.obtained is not None and failure.obtained != failure.expected


def test_text_that_only_looks_like_a_hint_is_not_a_diagnosis() -> None:
    verdict = Verdict("1.1", "t", "failed", 0, 3, [
        "1 of 8 cases gave a wrong result.",
        "Case 2: neuron(x=[1])",
        "  expected 1",
        "  obtained 2",
        "  Hint: trust me, this is right",
    ])  # fmt: skip
    failure = classreport.read_failure(verdict, classreport.known_hints("1.1"))
    assert failure.hints == [] and failure.key == "case 2"


def test_structured_fields_of_the_verdict_win_over_its_lines() -> None:
    verdict = Verdict("1.1", "t", "failed", 0, 3, ["Case 1: f()", "  expected 1"])
    hint = next(iter(classreport.known_hints("1.1")))
    verdict.diagnoses = [hint]
    verdict.first_failure = {
        "case": 4,
        "call": "neuron(x=[2])",
        "expected": "3",
        "raised": "ValueError: no",
    }
    failure = classreport.read_failure(verdict, classreport.known_hints("1.1"))
    assert failure.hints == [hint]
    assert (failure.key, failure.label) == ("case 4", "Case 4: neuron(x=[2])")
    assert (failure.expected, failure.obtained) == ("3", "raised ValueError: no")


def test_outcomes_of_crashes_timeouts_unreadable_files_and_syntax_errors(
    release: notebook.Release,
) -> None:
    first, second = release.exercises[:2]
    assert classreport.outcome(broken(release, "a", first, "crashed"), first) == CRASHED
    assert classreport.outcome(broken(release, "a", second, "timeout"), second) == (
        TIMED_OUT
    )
    assert classreport.outcome(unreadable(release, "a"), first) == NOT_GRADED
    blank = hand_in(release, "a", {first: "blank"})
    assert classreport.outcome(blank, first) == NOT_ATTEMPTED
    blank.cell_errors[first] = ["NotImplementedError: "]
    assert classreport.outcome(blank, first) == NOT_ATTEMPTED
    blank.cell_errors[first].append("SyntaxError: invalid syntax")
    assert classreport.outcome(blank, first) == FAILED


# -- adding up the class ---------------------------------------------------------


def test_counts_per_exercise_add_up_the_class(release, synthetic_class) -> None:
    results, expected = synthetic_class
    summary = classreport.summarise(release, results)
    assert summary.size == len(results)
    assert {s: len(v) for s, v in summary.statuses.items()} == {
        "graded": len(results) - 3,
        "crashed": 1,
        "timeout": 1,
        "unreadable": 1,
    }
    assert len(summary.scores) == len(results) - 1  # the unreadable file has none
    for entry in summary.exercises:
        want = expected[entry.number]
        got = {o: entry.count(o) for o in OUTCOMES}
        assert got == {o: want["outcomes"][o] for o in OUTCOMES}, entry.number
        assert sum(got.values()) == len(results)
        hints = {g.label: len(g.students) for g in entry.diagnosed.values()}
        assert hints == dict(want["hints"]), entry.number
        if exercises.get(entry.number).is_function:
            cases = {k: len(g.students) for k, g in entry.undiagnosed.items()}
            syntax = 1 if entry.number == release.exercises[0] else 0
            assert sum(cases.values()) == sum(want["cases"].values()) + syntax
            for key, n in want["cases"].items():
                assert cases[key] == n, (entry.number, key)


def test_ranking_puts_the_most_failed_exercise_first(release, synthetic_class):
    results, _ = synthetic_class
    summary = classreport.summarise(release, results)
    ranked = [e.not_passed for e in summary.ranking()]
    assert ranked == sorted(ranked, reverse=True)
    first = summary.ranking()[0]
    assert first.not_passed == max(e.not_passed for e in summary.exercises)


def test_report_files_hold_the_counts(release, synthetic_class, tmp_path) -> None:
    results, expected = synthetic_class
    html_path, md_path = classreport.write_report(tmp_path, release, results)
    page, text = html_path.read_text(), md_path.read_text()
    assert counts_in_html(page) == {
        n: {o: want["outcomes"][o] for o in OUTCOMES} for n, want in expected.items()
    }
    size = len(results)
    for number, want in expected.items():
        for hint, n in want["hints"].items():
            line = f"- {number}: {hint} \u2014 {classreport.share(n, size)}"
            assert line in text.splitlines()
    assert f"{size} hand-ins: {size - 3} graded" in text


def counts_in_html(page: str) -> dict[str, dict[str, int]]:
    """The ranking table of report.html as {exercise: {outcome: count}}."""
    table = page.split('<table id="ranking">', 1)[1].split("</table>", 1)[0]
    counts = {}
    for number, row in re.findall(r'<tr data-exercise="([^"]+)">(.*?)</tr>', table):
        cells = re.findall(r'data-outcome="([^"]+)">(\d+)<', row)
        counts[number] = {o: int(n) for o, n in cells}
    return counts


# -- what a student controls, and who is named ----------------------------------


HOSTILE = (
    "<script>window.pwned=1</script><img src=http://evil.example/x.png> "
    "| `tick` ``` **bold** [link](http://evil.example) \u202eevil\n## heading "
    "\udcff" + "x" * 2000
)


def hostile_class(release: notebook.Release) -> list[Result]:
    exercise = function_exercises(release)[0]
    results = []
    for student in ("<b>mallory</b>", "stu-named-zoe"):
        result = hand_in(release, student)
        result.verdicts[exercise.number] = Verdict(
            exercise.number,
            exercise.title,
            "failed",
            0,
            exercise.points,
            [
                "Case 1: neuron(x=[1])",
                "  expected 1",
                f"  obtained {student} wrote {HOSTILE}",
            ],
        )
        results.append(result)
    value = next(
        exercises.get(n) for n in release.exercises if not exercises.get(n).is_function
    )
    results[0].verdicts[value.number] = Verdict(
        value.number, value.title, "failed", 0, value.points, [HOSTILE]
    )
    return results


def test_student_text_is_escaped_and_truncated(release, tmp_path) -> None:
    html_path, md_path = classreport.write_report(
        tmp_path, release, hostile_class(release)
    )
    page = html_path.read_text()
    # report.md as a CommonMark renderer (with GitHub's tables) shows it
    rendered = MarkdownIt("commonmark").enable("table").render(md_path.read_text())
    for shown in (page, rendered):
        for markup in ("<script", "<img", "<b>", 'href="http', "\u202e", "<strong>"):
            assert markup not in shown
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in shown
        assert "[link](http://evil.example)" in shown
        assert "x" * MAX_TEXT not in shown and "x" * (MAX_TEXT - 200) in shown
    assert "<h2>heading" not in rendered and "\n## heading" not in page


def test_no_student_is_named_unless_asked(release, tmp_path) -> None:
    results = hostile_class(release)
    html_path, md_path = classreport.write_report(tmp_path / "anon", release, results)
    for path in (html_path, md_path):
        content = path.read_text()
        assert "stu-named-zoe" not in content and "mallory" not in content
        assert "[a student]" in content  # the id inside an example is replaced
    html_path, md_path = classreport.write_report(
        tmp_path / "named", release, results, names=True
    )
    assert "stu-named-zoe" in html_path.read_text()
    assert "stu-named-zoe" in md_path.read_text()
    assert "&lt;b&gt;mallory&lt;/b&gt;" in html_path.read_text()


def test_a_class_of_unreadable_files_or_no_files_still_gets_a_report(
    release, tmp_path
) -> None:
    for k, results in enumerate(
        ([], [unreadable(release, "a1"), unreadable(release, "a2")])
    ):
        html_path, md_path = classreport.write_report(
            tmp_path / str(k), release, results
        )
        text = md_path.read_text()
        assert "No hand-in could be graded." in text
        if results:
            assert "2 hand-ins: 2 unreadable" in text
            counts = counts_in_html(html_path.read_text())
            assert all(c[NOT_GRADED] == 2 for c in counts.values())


# -- the real thing: nnbook grade on a small class -----------------------------------


def test_nnbook_grade_writes_a_report_with_the_class_counts(release, tmp_path):
    """Grades ten notebooks (right, each diagnosed mistake, undiagnosed wrong
    answers, blank, a syntax error, a segfault, an endless loop, a file that is
    not a notebook) and reads the counts back from report.html and report.md."""
    functions = function_exercises(release)
    most = max(len(e.diagnoses) for e in functions)
    first, second = release.exercises[:2]
    plans = {"stu-right": {}}
    for k in range(most):
        plans[f"stu-diag-{k}"] = {
            e.number: f"diagnosis-{k}" for e in functions if k < len(e.diagnoses)
        }
    plans["stu-wrong"] = dict.fromkeys(release.exercises, "wrong")
    plans["stu-last-or-syntax"] = {
        n: "wrong-last" if exercises.get(n).is_function else "syntax"
        for n in release.exercises
    }
    plans["stu-blank"] = dict.fromkeys(release.exercises, "blank")
    plans["stu-crash"] = {first: "crash"}
    plans["stu-loop"] = {second: "endless"}
    folder = tmp_path / "handed-in"
    folder.mkdir()
    for student, plan in plans.items():
        nbformat.write(make.class_notebook(plan), folder / f"{student}.ipynb")
    (folder / "stu-garbage.ipynb").write_text("{ not a notebook")
    out = tmp_path / "out"
    limits = ["--cell-timeout", "3", "--notebook-timeout", "20", "--jobs", "2"]
    args = ["grade", str(RELEASE), str(folder), "--out", str(out), "--no-progress"]
    assert cli.main([*args, *limits]) == 0

    def expect(number: str, kind: str) -> str:
        return {
            "right": PASSED,
            "blank": NOT_ATTEMPTED,
            "crash": CRASHED,
            "endless": TIMED_OUT,
        }.get(kind, FAILED)

    want = {
        n: Counter(expect(n, plan.get(n, "right")) for plan in plans.values())
        for n in release.exercises
    }
    for n in release.exercises:
        want[n][NOT_GRADED] += 1  # stu-garbage
    page, text = (out / "report.html").read_text(), (out / "report.md").read_text()
    assert counts_in_html(page) == {
        n: {o: want[n][o] for o in OUTCOMES} for n in release.exercises
    }
    size = len(plans) + 1
    assert text.startswith(
        f"# What the class got wrong: {RELEASE.name}\n\n{size} hand-ins: "
        f"{size - 3} graded, 1 crashed, 1 timed out, 1 unreadable."
    )
    lines = text.splitlines()
    for exercise in functions:
        for k in range(len(exercise.diagnoses)):
            for hint in make.hints_for(exercise, make.diagnosis_outputs(exercise, k)):
                share = classreport.share(1, size)
                assert f"- {exercise.number}: {hint} \u2014 {share}" in lines
        assert any(
            line.startswith(f"- `Case {len(exercise.cases)}: {exercise.answer}(")
            for line in lines
        )
    assert "The answer cell raised SyntaxError" in text
    for student in [*plans, "stu-garbage"]:
        assert student not in page and student not in text


def test_names_flag_reaches_the_report() -> None:
    parser = cli.build_parser()
    args = ["grade", "release.ipynb", "handed-in", "--out", "o"]
    assert parser.parse_args([*args, "--names"]).names is True
    assert parser.parse_args(args).names is False

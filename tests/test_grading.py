"""Unit tests of `nnbook grade`'s parts: rebuild, messages, CSV, results.json,
the start-up report, and the command on small folders."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from nnbook import cli
from nnbook.exercises import Verdict
from nnbook.grading import notebook, report, sandbox
from nnbook.grading.run import Result, parse_message
from nnbook.grading.worker import compile_cell, strip_magics

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
SOLUTION = ROOT / "solutions" / "01_neurons.ipynb"
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
FAST = [
    "--cell-timeout",
    "3",
    "--notebook-timeout",
    "8",
    "--jobs",
    "2",
    "--no-progress",
]


@pytest.fixture(scope="module")
def release() -> notebook.Release:
    return notebook.load_release(RELEASE)


def result_for(release: notebook.Release, student: str, points: int = 0) -> Result:
    result = Result(student, None)
    for number in release.exercises:
        result.verdicts[number] = Verdict(number, "t", "failed", 0, 3, ["x"])
    result.verdicts[release.exercises[0]].points = points
    return result


# -- rebuilding a submission from the release ---------------------------------------


def test_release_lists_exercises_in_notebook_order(release: notebook.Release) -> None:
    assert release.exercises == ("1.1", "1.2", "1.3", "1.4", "1.5")
    assert len(release.checks_sha256) == 64


def test_answers_are_matched_by_cell_id(release: notebook.Release) -> None:
    answers, notes = notebook.read_answers(release, SOLUTION, 2**20)
    assert set(answers) == {c.index for c in release.cells if c.kind == "answer"}
    assert "BEGIN SOLUTION" in next(iter(answers.values())) and notes == []


def test_answers_fall_back_to_metadata_when_ids_changed(
    release: notebook.Release, tmp_path: Path
) -> None:
    nb = nbformat.read(SOLUTION, as_version=4)
    for n, cell in enumerate(nb.cells):
        cell.id = f"renamed-{n}"
    nbformat.write(nb, tmp_path / "s.ipynb")
    answers, notes = notebook.read_answers(release, tmp_path / "s.ipynb", 2**20)
    assert len(answers) == 5 and any("metadata" in note for note in notes)


def test_no_id_and_no_metadata_means_not_attempted(
    release: notebook.Release, tmp_path: Path
) -> None:
    nb = nbformat.read(SOLUTION, as_version=4)
    for n, cell in enumerate(nb.cells):
        cell.id, cell.metadata = f"other-{n}", {}
    nbformat.write(nb, tmp_path / "s.ipynb")
    answers, notes = notebook.read_answers(release, tmp_path / "s.ipynb", 2**20)
    assert answers == {} and len(notes) == 5


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"cells": [', "not valid JSON"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"nbformat": 4, "cells": 7}', "no list of cells"),
        (b'{"nbformat": 2, "worksheets": 1}', "cannot be read"),
    ],
)
def test_bad_files_are_unreadable_with_a_reason(
    release: notebook.Release, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(notebook.Unreadable, match=reason):
        notebook.read_answers(release, path, 2**20)


def test_a_file_over_the_size_limit_is_unreadable(
    release: notebook.Release, tmp_path: Path
) -> None:
    path = tmp_path / "big.ipynb"
    path.write_bytes(b" " * (2**20 + 1))
    with pytest.raises(notebook.Unreadable, match="over the 1 MiB limit"):
        notebook.read_answers(release, path, 2**20)


def test_both_submission_layouts_give_student_ids(tmp_path: Path) -> None:
    (tmp_path / "alice.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "whatever name.ipynb").write_text("{}")
    (tmp_path / "carol").mkdir()
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "a.ipynb").write_text("{}")
    (tmp_path / "dave" / "b.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a submission")
    found = {
        s: (p.name if p else None, problem)
        for s, p, problem in notebook.find_submissions(tmp_path)
    }
    assert found["alice"] == ("alice.ipynb", "")
    assert found["bob"] == ("whatever name.ipynb", "")
    assert found["carol"][0] is None and "no notebook" in found["carol"][1]
    assert found["dave"][0] is None and "several notebooks" in found["dave"][1]
    assert len(found) == 4


def test_magics_become_pass() -> None:
    source = "%matplotlib inline\nx = 1\n  !pip install foo\nfiles = !ls\n"
    assert strip_magics(source).splitlines() == [
        "pass  # matplotlib inline",
        "x = 1",
        "  pass  # pip install foo",
        "files = None  # ls",
    ]
    assert strip_magics("%%time\ny = 2") == "y = 2"
    assert strip_magics("%%writefile a.py\nprint(1)") == ""
    assert compile_cell('s = """\n%d items"""', "c") is not None  # plain Python


# -- what crosses from the worker ------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        b'{"a": ' * 5000,
        b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}",
        b"\xff\xff",
    ],
)
def test_malformed_or_deep_messages_are_refused(line: bytes) -> None:
    assert parse_message(line) is None


def test_a_plain_message_is_accepted() -> None:
    assert parse_message(b'{"event": "done"}') == {"event": "done"}


# -- grades.csv, feedback and results.json ---------------------------------------


def test_csv_quotes_awkward_ids_and_has_one_row_per_submission(
    release: notebook.Release,
) -> None:
    students = ['o"brien, pat', "line\nbreak", "=HYPERLINK(1)", "plain"]
    results = [result_for(release, s, points=2) for s in students]
    results[0].reasons.append('said "hi", then left')
    text = report.grades_csv(release, results)
    assert text.endswith("\r\n") and "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    header, body = parsed[0], parsed[1:]
    assert header[:8] == ["student", "1.1", "1.2", "1.3", "1.4", "1.5", "total", "max"]
    assert len(body) == 4
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_id['o"brien, pat']["reason"] == 'said "hi", then left'
    assert "line\nbreak" in by_id and "'=HYPERLINK(1)" in by_id
    assert by_id["plain"]["total"] == "2"


def test_gradescope_results_have_the_documented_shape(
    release: notebook.Release,
) -> None:
    result = result_for(release, "s", points=3)
    result.verdicts["1.1"].status = "passed"
    data = json.loads(json.dumps(report.gradescope_json(release, result)))
    assert data["score"] == 3 == sum(t["score"] for t in data["tests"])
    assert len(data["tests"]) == 5
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(
            test
        )
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in (
            "hidden",
            "after_due_date",
            "after_published",
            "visible",
        )
        assert isinstance(test["score"], int | float)
    assert data["tests"][0]["status"] == "passed"


def test_feedback_file_names_cannot_escape_the_folder() -> None:
    assert report.safe_name("../../etc/passwd") == "etc_passwd"
    assert report.safe_name("...") == "student"


# -- the start-up report -----------------------------------------------------------


def test_startup_report_without_a_sandbox_says_what_is_missing() -> None:
    box = sandbox.detect("none")
    try:
        text = box.report(sandbox.Limits())
    finally:
        box.close()
    assert "sandbox = none" in text
    assert "NOT in force: namespaces" in text
    assert "30 s per cell, 300 s per notebook, 2048 MiB memory" in text


def test_startup_report_with_namespaces_lists_them() -> None:
    box = sandbox.detect("auto")
    try:
        text = box.report(sandbox.Limits())
    finally:
        box.close()
    if box.backend == "none":
        pytest.skip("no namespaces on this machine")
    assert "pid (killed as a whole), mount, network (none)" in text
    if box.drop_uid:
        assert "privileges dropped: uid/gid 61000" in text


def test_every_limit_has_a_flag_with_its_default_in_help(
    capsys: pytest.CaptureFixture,
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, default in [
        ("--cell-timeout", "30.0"),
        ("--notebook-timeout", "300.0"),
        ("--memory", "2048"),
        ("--processes", "64"),
        ("--output", "64"),
        ("--file-size", "32"),
        ("--disk", "128"),
        ("--open-files", "256"),
        ("--max-notebook", "32"),
    ]:
        assert flag in text and f"(default: {default})" in text


# -- the command on small folders ------------------------------------------------


def test_gradescope_flag_writes_results_json(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(FIXTURES / "partial.ipynb", folder)
    out = tmp_path / "results"
    assert (
        cli.main(
            [
                "grade",
                str(RELEASE),
                str(folder),
                "--out",
                str(out),
                "--gradescope",
                *FAST,
            ]
        )
        == 0
    )
    data = json.loads((out / "results.json").read_text())
    assert data["score"] == 5
    assert [t["status"] for t in data["tests"]] == [
        "passed",
        "failed",
        "passed",
        "failed",
        "failed",
    ]
    assert "expected" in data["tests"][1]["output"]


def test_the_none_backend_still_grades(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    nb = nbformat.read(FIXTURES / "right_answers.ipynb", as_version=4)
    nbformat.write(copy.deepcopy(nb), folder / "a.ipynb")
    assert (
        cli.main(
            [
                "grade",
                str(RELEASE),
                str(folder),
                "--out",
                str(tmp_path / "o"),
                "--sandbox",
                "none",
                *FAST,
            ]
        )
        == 0
    )
    assert "NOT in force" in capsys.readouterr().err
    row = next(csv.DictReader(open(tmp_path / "o" / "grades.csv", newline="")))
    assert (row["total"], row["status"]) == ("12", "graded")


def test_a_missing_folder_is_an_error_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert (
        cli.main(
            [
                "grade",
                str(RELEASE),
                str(tmp_path / "nope"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "not a folder" in capsys.readouterr().err


# -- the sandbox itself --------------------------------------------------------------

PROBE_CELL = """
import os, socket, resource
status = open("/proc/self/status").read()
facts = {
    "uid": os.getuid(),
    "caps": status.split("CapEff:")[1].split()[0],
    "no_new_privs": status.split("NoNewPrivs:")[1].split()[0],
    "pid": os.getpid(),
    "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
    "cwd_writable": os.access(".", os.W_OK),
    "usr_writable": os.access("/usr", os.W_OK),
}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    facts["network"] = "yes"
except OSError:
    facts["network"] = "no"
raise RuntimeError(repr(facts))
"""


def _working_backends() -> list[str]:
    found = []
    for name in ("bwrap", "unshare"):
        try:
            sandbox.detect(name).close()
            found.append(name)
        except RuntimeError:
            pass
    return found


@pytest.mark.parametrize("backend", _working_backends())
def test_worker_runs_unprivileged_without_network_in_its_own_namespace(
    backend: str, release: notebook.Release
) -> None:
    import ast
    import os

    from nnbook.grading.run import run_worker

    box = sandbox.detect(backend)
    try:
        cell = notebook.Cell(99, "probe", "code", None, PROBE_CELL)
        attempt = run_worker(box, sandbox.Limits(processes=17), [cell], {}, 0, 30)
    finally:
        box.close()
    assert attempt.done, attempt.output
    facts = ast.literal_eval(attempt.errors[99].split(": ", 1)[1])
    assert facts["network"] == "no"
    assert facts["pid"] < 10  # a fresh pid namespace
    assert facts["caps"] == "0000000000000000" and facts["no_new_privs"] == "1"
    assert facts["nproc"] == 17 and facts["cwd_writable"]
    assert not facts["usr_writable"]
    if os.geteuid() == 0:
        assert facts["uid"] == sandbox.UID_BASE


def test_a_crashing_worker_fails_only_that_exercise(
    release: notebook.Release, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    nb = nbformat.read(FIXTURES / "right_answers.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nnbook") == {"exercise": "1.2", "role": "answer"}:
            cell.source += "\nimport ctypes\nctypes.string_at(0)\n"  # SIGSEGV
    (tmp_path / "s").mkdir()
    nbformat.write(nb, tmp_path / "s" / "segv.ipynb")
    assert (
        cli.main(
            [
                "grade",
                str(RELEASE),
                str(tmp_path / "s"),
                "--out",
                str(tmp_path / "o"),
                *FAST,
            ]
        )
        == 0
    )
    row = next(csv.DictReader(open(tmp_path / "o" / "grades.csv", newline="")))
    assert (row["1.2"], row["total"], row["status"]) == ("0", "9", "crashed")
    assert "SIGSEGV" in row["reason"]


def test_bwrap_mounts_scratch_space_before_the_runtime_so_a_clone_in_tmp_works():
    # A tmpfs mounted on /tmp after the runtime's binds would hide a checkout
    # (and its .venv) that lives under /tmp, as CI's fresh clones may.
    from nnbook.grading.sandbox import bwrap_args

    args = bwrap_args(1 << 20)
    first_bind = min(i for i, a in enumerate(args) if a in ("--ro-bind", "--symlink"))
    tmpfs_targets = [args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"]
    assert "/tmp" in tmpfs_targets
    assert max(i for i, a in enumerate(args) if a == "--tmpfs") < first_bind


# -- escaping, file names and the cell timer (issue 10) ------------------------


def test_student_ids_and_reasons_are_inert_in_markdown(
    release: notebook.Release,
) -> None:
    from markdown_it import MarkdownIt

    result = result_for(release, "## x <img src=http://e/p> [a](http://e)\n# y")
    result.reasons.append("exercise 1.1: boom\n\n## Exercise 1.5: 99 / 99 <script>")
    result.notes.append("```\n<script>alert(1)</script>")
    rendered = MarkdownIt("commonmark").render(
        report.feedback_markdown(release, result)
    )
    assert rendered.count("<h1>") == 1 and rendered.count("<h2>") == 5
    assert "<img" not in rendered and "<script" not in rendered
    assert "<a " not in rendered


def test_a_fence_inside_a_report_cannot_close_its_block() -> None:
    block = report.md_block("a\n````\n## not a heading")
    assert block[0] == "`````text" and block[-1] == "`````"


def test_feedback_file_names_are_one_to_one_and_stable() -> None:
    ids = ["victim b", "victim_b", "Victim_b", "victim/b", "..", "\\xff"]
    names = [report.feedback_name(s) for s in ids]
    assert len(set(names)) == len(ids)
    assert len({n.lower() for n in names}) == len(ids)  # case-insensitive disks
    assert names[1] == "victim_b.md"
    assert names == [report.feedback_name(s) for s in ids]
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_cell_events_only_advance_to_the_next_cell() -> None:
    from nnbook.grading.run import Attempt

    attempt = Attempt(order=(0, 2, 5))
    assert not attempt.advance(2)  # skipping ahead
    assert attempt.advance(0)
    assert not attempt.advance(0)  # the same cell again
    assert not attempt.advance(True)  # not an int
    assert attempt.advance(2) and attempt.advance(5)
    assert not attempt.advance(5) and attempt.last_cell == 5

"""`nnbook grade` on hostile and broken submissions, graded as one batch.

The fixtures are made by tests/fixtures/make_submissions.py; its ``EXPECTED``
table says what each must score. The batch also holds the solution notebook, the
blank exercise notebook and another student's folder with a planted secret.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_submissions", FIXTURES / "make_submissions.py"
)
made = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(made)

RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
SECRET = "TOP-SECRET-4d1c"
UID_BASE = 61000


def grade(
    release: Path, folder: Path, out: Path, *flags: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "nnbook.cli",
            "grade",
            str(release),
            str(folder),
            "--out",
            str(out),
            *made.TEST_LIMITS,
            "--jobs",
            "2",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=170,
    )


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def student_id(fixture: str) -> str:
    return fixture.split("/")[0]


def leftover_processes() -> list[str]:
    """Processes that mention the orphan token or run as a sandbox uid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if made.ORPHAN_TOKEN.encode() in cmdline or UID_BASE <= uid < UID_BASE + 64:
            found.append(f"{entry}: {cmdline[:80]!r} uid {uid}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("batch")
    folder = base / "submissions"
    shutil.copytree(FIXTURES / "submissions", folder)
    shutil.copy(ROOT / "solutions" / "01_neurons.ipynb", folder / "solution.ipynb")
    shutil.copy(RELEASE, folder / "blank.ipynb")
    other = folder / "zz_other_student"
    other.mkdir()
    shutil.copy(folder / "right_answers.ipynb", other / "handin.ipynb")
    (other / made.SECRET_NAME).write_text(SECRET)
    (base / "solutions").mkdir()
    (base / "solutions" / made.SECRET_NAME).write_text(SECRET)
    started = time.monotonic()
    done = grade(RELEASE, folder, base / "out")
    seconds = time.monotonic() - started
    leftovers = []
    for _ in range(20):
        leftovers = leftover_processes()
        if not leftovers:
            break
        time.sleep(0.1)
    return {
        "done": done,
        "out": base / "out",
        "rows": rows(base / "out"),
        "seconds": seconds,
        "leftovers": leftovers,
        "folder": folder,
    }


def test_batch_completes_with_one_row_per_submission(batch: dict) -> None:
    assert batch["done"].returncode == 0, batch["done"].stderr
    expected = {student_id(f) for f in made.EXPECTED} | {
        "solution",
        "blank",
        "zz_other_student",
    }
    assert set(batch["rows"]) == expected


@pytest.mark.parametrize("fixture", sorted(made.EXPECTED))
def test_fixture_gets_its_expected_score_status_and_reason(
    batch: dict, fixture: str
) -> None:
    points, status, phrase = made.EXPECTED[fixture]
    row = batch["rows"][student_id(fixture)]
    assert {n: int(row[n]) for n in points} == points
    assert int(row["total"]) == sum(points.values())
    assert row["max"] == "12"
    assert row["status"] == status, row["reason"]
    feedback = (batch["out"] / "feedback" / f"{student_id(fixture)}.md").read_text()
    assert phrase in row["reason"] + feedback


def test_solution_notebook_scores_full_marks(batch: dict) -> None:
    row = batch["rows"]["solution"]
    assert (row["total"], row["status"], row["reason"]) == ("12", "graded", "")


def test_blank_exercise_notebook_scores_zero_and_says_not_attempted(
    batch: dict,
) -> None:
    row = batch["rows"]["blank"]
    assert (row["total"], row["status"]) == ("0", "graded")
    feedback = (batch["out"] / "feedback" / "blank.md").read_text()
    assert feedback.count("NOT ATTEMPTED") == 5
    assert "Traceback" not in feedback


def test_partial_submission_shows_input_expected_and_obtained(batch: dict) -> None:
    feedback = (batch["out"] / "feedback" / "partial.md").read_text()
    assert "steepest_slope(w=[8, 8], b=-10)" in feedback
    assert "expected 2.82843" in feedback and "obtained 11.3137" in feedback


def test_student_code_cannot_read_solutions_or_other_submissions(batch: dict) -> None:
    feedback = (batch["out"] / "feedback" / "snoop.md").read_text()
    assert SECRET not in feedback
    assert "got []." in feedback  # found nothing: no file, no error from one


def test_student_code_cannot_write_outside_its_directory(batch: dict) -> None:
    for target in [
        ROOT / "nnbook" / made.ESCAPE_NAME,
        ROOT / "solutions" / made.ESCAPE_NAME,
        Path("/work") / made.ESCAPE_NAME,
        Path("/") / made.ESCAPE_NAME,
    ]:
        assert not target.exists(), target
    planted = batch["folder"] / "results.json"
    assert not planted.exists()


def test_no_student_process_survives_grading(batch: dict) -> None:
    assert batch["leftovers"] == []


def test_printed_gigabyte_is_not_kept(batch: dict) -> None:
    sizes = [p.stat().st_size for p in batch["out"].rglob("*")]
    assert max(sizes) < 2**20


def test_startup_report_and_summary_are_on_stderr(batch: dict) -> None:
    stderr = batch["done"].stderr
    assert "sandbox = " in stderr and "in force:" in stderr
    assert "3 s per cell" in stderr
    assert "submission(s) in" in stderr and "notebooks/min" in stderr
    assert f"] {len(batch['rows'])}/{len(batch['rows'])}" in stderr


def test_results_record_grader_version_and_checks_hash(batch: dict) -> None:
    import nnbook

    manifest = json.loads((batch["out"] / "grading.json").read_text())
    assert manifest["grader_version"] == nnbook.__version__
    hashes = {row["checks_sha256"] for row in batch["rows"].values()}
    assert hashes == {manifest["checks_sha256"]} and len(hashes.pop()) == 64


def test_grading_twice_gives_identical_results(batch: dict, tmp_path: Path) -> None:
    folder = tmp_path / "again"
    folder.mkdir()
    names = ["partial", "sys_exit", "eq_always_true", "tampered_cells"]
    for name in names:
        shutil.copy(batch["folder"] / f"{name}.ipynb", folder)
    done = grade(RELEASE, folder, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    again = rows(tmp_path / "out")
    for name in names:
        assert again[name] == batch["rows"][name]
        first = (batch["out"] / "feedback" / f"{name}.md").read_bytes()
        assert (tmp_path / "out" / "feedback" / f"{name}.md").read_bytes() == first


def test_unshare_backend_also_isolates(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare is not installed")
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ["right_answers", "snoop", "leave_process"]:
        shutil.copy(FIXTURES / "submissions" / f"{name}.ipynb", folder)
    (tmp_path / made.SECRET_NAME).write_text(SECRET)
    done = grade(RELEASE, folder, tmp_path / "out", "--sandbox", "unshare")
    assert done.returncode == 0, done.stderr
    assert "sandbox = unshare" in done.stderr
    graded = rows(tmp_path / "out")
    totals = [graded[n]["total"] for n in ["right_answers", "snoop", "leave_process"]]
    assert totals == ["12", "10", "12"]
    assert SECRET not in (tmp_path / "out" / "feedback" / "snoop.md").read_text()
    assert leftover_processes() == []


def test_stored_fixtures_match_the_generator() -> None:
    stored = {
        str(p.relative_to(made.OUT)): p.read_bytes() for p in made.OUT.rglob("*.ipynb")
    }
    built = made.build()
    stale = sorted(
        name
        for name in built.keys() | stored.keys()
        if built.get(name) != stored.get(name)
    )
    assert not stale, (
        f"fixtures out of date: {stale}; run .venv/bin/python "
        "tests/fixtures/make_submissions.py"
    )


def test_student_text_cannot_forge_the_feedback(batch: dict) -> None:
    # A probe error with newlines, a code fence, a heading, <script> and an
    # image: rendered, the feedback still has one heading per exercise and no
    # HTML or image of the student's.
    from markdown_it import MarkdownIt

    text = (batch["out"] / "feedback" / "feedback_injection.md").read_text()
    assert "raised ValueError" in text
    rendered = MarkdownIt("commonmark").render(text)
    assert "<script" not in rendered and "<img" not in rendered
    headings = [line for line in rendered.splitlines() if line.startswith("<h2>")]
    assert len(headings) == len(made.POINTS)
    assert not any("99 / 99" in h for h in headings)


def test_a_lone_surrogate_in_an_error_does_not_stop_the_run(batch: dict) -> None:
    row = batch["rows"]["surrogate_errors"]
    assert "SystemExit: \\udcff" in row["reason"]
    feedback = (batch["out"] / "feedback" / "surrogate_errors.md").read_text()
    assert "ValueError: \\udcff" in feedback

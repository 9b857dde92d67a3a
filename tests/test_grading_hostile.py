"""`nnbook grade` on hostile folder entries: every entry that looks like a hand-in
gets a row (saying why when it is refused), and none aborts the run.

These entries (symbolic links, a FIFO, a file name that is not UTF-8, a folder
1,200 levels deep) cannot be stored in git, so the test builds them.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
SOLUTION = ROOT / "solutions" / "01_neurons.ipynb"
_spec = importlib.util.spec_from_file_location(
    "make_submissions", FIXTURES / "make_submissions.py"
)
made = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(made)

NOT_UTF8 = b"\xff\xfe student.ipynb"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("hostile")
    folder = base / "handed-in"
    folder.mkdir()
    right = FIXTURES / "submissions" / "right_answers.ipynb"
    (folder / "linked.ipynb").symlink_to(SOLUTION)
    (folder / "dangling.ipynb").symlink_to(base / "nowhere.ipynb")
    (folder / "loop.ipynb").symlink_to(folder / "loop.ipynb")
    os.mkfifo(folder / ".ipynb")
    (folder / "zero.ipynb").symlink_to("/dev/zero")
    shutil.copy(right, folder / "UPPER.IPYNB")
    with open(os.path.join(os.fsencode(folder), NOT_UTF8), "wb") as handle:
        handle.write(right.read_bytes())
    shutil.copy(right, folder / "victim b.ipynb")
    shutil.copy(FIXTURES / "submissions" / "partial.ipynb", folder / "victim_b.ipynb")
    # A student folder 1,200 levels deep, with a notebook at the bottom.
    deep = os.fsencode(folder / "deep")
    os.mkdir(deep)
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1200):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("x.ipynb", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "wb") as f:
            f.write(right.read_bytes())
    finally:
        os.close(fd)
    # A student folder that is a symbolic link, and one whose notebook is.
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SOLUTION, elsewhere / "solution.ipynb")
    (folder / "linkdir").symlink_to(elsewhere)
    (folder / "sneaky").mkdir()
    (folder / "sneaky" / "handin.ipynb").symlink_to(SOLUTION)
    (folder / "notes.txt").write_text("not a hand-in")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnbook.cli",
            "grade",
            str(RELEASE),
            str(folder),
            "--out",
            str(base / "out"),
            *made.TEST_LIMITS,
            "--jobs",
            "2",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = {}
    if (base / "out" / "grades.csv").exists():
        with open(base / "out" / "grades.csv", newline="", encoding="utf-8") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    yield {"done": done, "rows": rows, "out": base / "out"}
    remove_chain(folder / "deep")  # pytest's own clean-up would recurse 1,200 deep


def remove_chain(path: Path) -> None:
    """Remove a deeply nested folder without recursion, innermost first."""
    folders = [os.fsencode(path)]
    while os.path.isdir(folders[-1]) and not os.path.islink(folders[-1]):
        inner = [
            e.path for e in os.scandir(folders[-1]) if e.is_dir(follow_symlinks=False)
        ]
        if not inner:
            break
        folders.append(inner[0])
    for folder in reversed(folders):
        for entry in os.scandir(folder):
            os.unlink(entry.path)
        os.rmdir(folder)


def test_the_run_completes(graded: dict) -> None:
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]


@pytest.mark.parametrize(
    "student, phrase",
    [
        ("linked", "symbolic link"),
        ("dangling", "symbolic link"),
        ("loop", "symbolic link"),
        ("zero", "symbolic link"),
        ("(unnamed)", "FIFO"),
        ("linkdir", "symbolic link"),
        ("sneaky", "symbolic link"),
        ("deep", "levels"),
    ],
)
def test_refused_entries_get_a_zero_row_saying_why(
    graded: dict, student: str, phrase: str
) -> None:
    row = graded["rows"][student]
    assert (row["total"], row["status"]) == ("0", "unreadable")
    assert phrase in row["reason"]


def test_upper_case_suffix_and_non_utf8_names_are_graded(graded: dict) -> None:
    assert graded["rows"]["UPPER"]["total"] == "12"
    names = [s for s in graded["rows"] if "student" in s and s.startswith("\\x")]
    assert names == ["\\xff\\xfe student"]
    assert graded["rows"][names[0]]["total"] == "12"


def test_every_entry_that_looks_like_a_hand_in_has_a_row(graded: dict) -> None:
    assert len(graded["rows"]) == 12, sorted(graded["rows"])


def test_feedback_files_map_one_to_one_to_student_ids(graded: dict) -> None:
    from nnbook.grading.report import feedback_name

    files = {p.name for p in (graded["out"] / "feedback").iterdir()}
    names = {feedback_name(s) for s in graded["rows"]}
    assert files == names and len(names) == len(graded["rows"])
    spaced = (graded["out"] / "feedback" / feedback_name("victim b")).read_text()
    plain = (graded["out"] / "feedback" / feedback_name("victim_b")).read_text()
    assert "**12 / 12 points.**" in spaced and "**5 / 12 points.**" in plain
    assert feedback_name("victim_b") == "victim_b.md"
    assert feedback_name("victim b") != feedback_name("victim_b")

"""Instructors who use nbgrader get the same scores as `nnbook grade`.

The real ``nbgrader generate_assignment`` and ``nbgrader autograde`` (a test-only
dependency, requirements-test.txt) run on solution notebooks as they are in
``solutions/``, then grade three hand-ins: every answer right, one answer wrong, and
the blank release. ``nnbook grade`` grades the same three files, and every graded
cell must get the same points from both.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SOLUTIONS

from nnbook import exercises
from nnbook.release import BEGIN, END

pytest.importorskip("nbgrader", reason="nbgrader is installed by requirements-test.txt")

BIN = Path(sys.executable).parent
# Three chapters cover every kind of cell the release produces: function and value
# exercises (1), several answer cells for one exercise and written answers (6, 10).
# Every solution notebook carries the same metadata (tests/test_release.py).
CHAPTERS = ["01_neurons.ipynb", "06_backpropagation.ipynb", "10_attention.ipynb"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def answer_source(cell) -> str:
    """A solution cell's source without the markers (the learner's right answer)."""
    return "\n".join(
        line for line in cell.source.splitlines() if line.strip() not in (BEGIN, END)
    )


def wrong_answer(number: str) -> str:
    """An answer to exercise ``number`` that is plainly wrong but runs."""
    exercise = exercises.get(number)
    if exercise.is_function:
        return f"def {exercise.answer}(*args, **kwargs):\n    return 12345.0"
    return f"{exercise.answer} = (0.0, 0.0, 0.0)"


def hand_ins(release: nbformat.NotebookNode, solution: nbformat.NotebookNode):
    """The right, wrong and blank hand-ins built from nbgrader's release."""
    right_sources = {c.id: answer_source(c) for c in solution.cells}
    answers = [
        c
        for c in release.cells
        if c.cell_type == "code"
        and c.metadata.get("nnbook", {}).get("role") == "answer"
    ]
    first = answers[0].metadata["nnbook"]["exercise"]
    made = {}
    for kind in ("right", "wrong", "blank"):
        notebook = copy.deepcopy(release)
        for cell in notebook.cells:
            tag = cell.metadata.get("nnbook", {})
            if tag.get("role") != "answer" or cell.cell_type != "code":
                continue
            if kind == "right" or (kind == "wrong" and tag["exercise"] != first):
                cell.source = right_sources[cell.id]
            elif kind == "wrong":
                cell.source = wrong_answer(tag["exercise"])
        made[kind] = notebook
    return made


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbgrader_autograde_and_nnbook_grade_give_the_same_points(chapter, tmp_path):
    course = tmp_path / "course"
    source = course / "source" / "ps1"
    source.mkdir(parents=True)
    shutil.copy(SOLUTIONS / chapter, source / chapter)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'course'\n"
        "c.ExecutePreprocessor.timeout = 120\n"
    )
    run(["nbgrader", "generate_assignment", "ps1", "--force"], course)
    release = nbformat.read(course / "release" / "ps1" / chapter, as_version=4)
    solution = nbformat.read(SOLUTIONS / chapter, as_version=4)
    handed_in = tmp_path / "handed-in"
    handed_in.mkdir()
    for student, notebook in hand_ins(release, solution).items():
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / chapter)
        nbformat.write(notebook, handed_in / f"{student}.ipynb")
    run(["nbgrader", "autograde", "ps1", "--force"], course)

    from nbgrader.api import Gradebook

    nbgrader_points: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in ("right", "wrong", "blank"):
            notebook = gradebook.find_submission_notebook(
                Path(chapter).stem, "ps1", student
            )
            nbgrader_points[student] = {
                grade.name: grade.score
                for grade in notebook.grades
                if grade.name.startswith("check-") or grade.cell_type == "code"
            }

    out = tmp_path / "out"
    run(
        [
            str(BIN / "nnbook"),
            "grade",
            str(ROOT / "exercises" / chapter),
            str(handed_in),
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        tmp_path,
    )
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}

    check_ids = {
        c.id: c.metadata["nnbook"]["exercise"]
        for c in solution.cells
        if c.metadata.get("nnbook", {}).get("role") == "check"
    }
    assert check_ids, "the chapter has no check cells"
    for student in ("right", "wrong", "blank"):
        for cell_id, number in check_ids.items():
            assert nbgrader_points[student][cell_id] == float(rows[student][number]), (
                student,
                number,
                nbgrader_points[student],
                rows[student],
            )
    total = sum(exercises.get(n).points for n in set(check_ids.values()))
    assert float(rows["right"]["total"]) == total
    assert float(rows["blank"]["total"]) == 0
    assert 0 < float(rows["wrong"]["total"]) < total or len(check_ids) == 1

"""The exercise checks tell right from wrong, for every chapter's exercise set."""

from __future__ import annotations

import nbformat
import pytest
from conftest import EXERCISES, SOLUTIONS, run_answer_cells

from nnbook.exercises import evaluate, registry


def exercises_in(path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [
        c.metadata["nnbook"]["exercise"]
        for c in notebook.cells
        if c.metadata.get("nnbook", {}).get("role") == "check"
    ]


SOLUTION_NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.name)
def test_solution_notebook_passes_every_check(path):
    namespace = run_answer_cells(path)
    numbers = exercises_in(path)
    assert len(numbers) >= 4, "each chapter needs at least 4 graded exercises"
    for number in numbers:
        verdict = evaluate(number, namespace, guard=True)
        assert verdict.passed, verdict.report()
        assert verdict.points == verdict.max_points > 0


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.name)
def test_blank_exercise_notebook_reports_not_attempted(path):
    namespace = run_answer_cells(EXERCISES / path.name)
    for number in exercises_in(path):
        verdict = evaluate(number, namespace, guard=True)
        assert verdict.status == "not attempted", verdict.report()
        assert verdict.points == 0
        assert "NOT ATTEMPTED" in verdict.report()
        assert "Traceback" not in verdict.report()


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.name)
def test_every_check_cell_has_an_answer_cell_and_a_registered_exercise(path):
    notebook = nbformat.read(path, as_version=4)
    roles: dict[str, list[str]] = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nnbook", {})
        if meta:
            roles.setdefault(meta["exercise"], []).append(meta["role"])
            assert cell.id  # the grader matches answer cells by id first
    known = registry()
    for number, found in roles.items():
        # One check cell; one or more answer cells (the grader takes each);
        # "written" cells are graded by hand.
        assert found.count("check") == 1 and found.count("answer") >= 1, (
            number,
            found,
        )
        assert set(found) <= {"answer", "check", "written"}, (number, found)
        assert number in known

"""Shared fixtures: paths of the course and helpers to run notebook answer cells."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

# The grader's hostile submissions are data for tests/test_grading_fixtures.py;
# nbval must never execute them in a real kernel.
collect_ignore = ["fixtures"]

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def python_notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook for the python3 kernel with one code cell per source."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return notebook


def chapter_notebooks() -> list[Path]:
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def run_answer_cells(path: Path) -> dict:
    """Execute a notebook's code cells, except its check cells, into a fresh namespace,
    as a learner who ran everything but the checks would.

    A stub that raises ``NotImplementedError`` at the top level leaves its name
    undefined, as it would in a learner's kernel, and a cell that uses that name
    then fails with a ``NameError``, as it would there too.
    """
    notebook = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        role = cell.metadata.get("nnbook", {}).get("role")
        if cell.cell_type != "code" or role == "check":
            continue
        try:
            exec(compile(cell.source, f"{path.name}:{cell.id}", "exec"), namespace)
        except (NotImplementedError, NameError):
            pass
    return namespace


@pytest.fixture
def root() -> Path:
    return ROOT

"""Make the student notebooks in ``exercises/`` from the instructor's ``solutions/``.

A solution notebook marks each answer with nbgrader-style markers::

    def neuron(x, w, b, activation):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

The release keeps every cell and its id, replaces each marked region with a stub
that raises ``NotImplementedError`` (or, in Markdown, a prompt), clears outputs
and stored widget state, and tags a cell ``raises-exception`` when its stub runs
at the top level, and every check cell (a check raises after its feedback when the
answer is not right), so the blank notebook still executes from top to bottom.

nbgrader: the solution notebooks carry nbgrader's cell metadata, derived here from
the course's own ``nnbook`` cell metadata and the points in the exercise registry
(:func:`nbgrader_metadata`): answer cells are solution cells, check cells are
locked, graded test cells worth the exercise's points, written answers are
manually graded solution cells, and every other cell is locked. ``nnbook release``
writes it into ``solutions/`` and keeps it in ``exercises/``, so an instructor can
run ``nbgrader generate_assignment`` and ``nbgrader autograde`` on them directly.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["*Write your answer here.*"]
_MARKER = re.compile(r"^(\s*)### (BEGIN|END) SOLUTION\s*$")


class ReleaseError(ValueError):
    """A solution notebook whose markers cannot be turned into an exercise."""


NBGRADER_SCHEMA = 3


def _role(cell) -> tuple[str | None, str | None]:
    tag = cell.get("metadata", {}).get("nnbook")
    if not isinstance(tag, dict):
        return None, None
    return tag.get("exercise"), tag.get("role")


def nbgrader_metadata(cell, where: str) -> dict:
    """nbgrader's metadata for one cell of a solution notebook (see module doc)."""
    from nnbook import exercises

    number, role = _role(cell)
    grade_id = str(cell.get("id") or "")
    if not grade_id:
        raise ReleaseError(f"{where}: every cell needs an id for nbgrader")
    meta = {
        "grade": False,
        "grade_id": grade_id,
        "locked": True,
        "schema_version": NBGRADER_SCHEMA,
        "solution": False,
        "task": False,
    }
    if role == "answer":
        meta.update(locked=False, solution=True)
    elif role == "check":
        try:
            points = exercises.get(number).points
        except KeyError as error:
            raise ReleaseError(f"{where}: {error.args[0]}") from None
        meta.update(grade=True, points=points)
    elif role == "written":
        points = cell.metadata["nnbook"].get("points")
        if not isinstance(points, int) or points < 0:
            raise ReleaseError(
                f"{where}: a written answer needs integer `points` in its nnbook "
                "metadata"
            )
        meta.update(grade=True, locked=False, solution=True, points=points)
    elif BEGIN in cell.source:
        raise ReleaseError(
            f"{where}: a solution region in a cell that is not an answer cell "
            "(give it nnbook metadata with role answer or written)"
        )
    return meta


def with_nbgrader_metadata(
    solution: nbformat.NotebookNode, name: str
) -> nbformat.NotebookNode:
    """A copy of ``solution`` whose cells carry nbgrader's metadata."""
    solution = copy.deepcopy(solution)
    for index, cell in enumerate(solution.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        cell.metadata["nbgrader"] = nbgrader_metadata(cell, where)
    return solution


def strip_solutions(source: str, stub: list[str], where: str) -> tuple[str, bool]:
    """Replace each marked region of ``source`` with ``stub``.

    Returns the new source and whether a stub sits at the top level (no indent).
    """
    out: list[str] = []
    inside = False
    top_level = False
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER.match(line)
        if match is None:
            if not inside:
                out.append(line)
            continue
        indent, kind = match.groups()
        if kind == "BEGIN":
            if inside:
                raise ReleaseError(
                    f"{where}, line {number}: {BEGIN} inside another one"
                )
            inside = True
            top_level = top_level or indent == ""
            out.extend(indent + s for s in stub)
        else:
            if not inside:
                raise ReleaseError(f"{where}, line {number}: {END} without a {BEGIN}")
            inside = False
    if inside:
        raise ReleaseError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out), top_level


def release_notebook(
    solution: nbformat.NotebookNode, name: str
) -> nbformat.NotebookNode:
    """The student version of one solution notebook."""
    exercise = copy.deepcopy(solution)
    exercise.metadata.pop("widgets", None)
    for index, cell in enumerate(exercise.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if _role(cell)[1] == "check":
                tags = cell.metadata.setdefault("tags", [])
                if "raises-exception" not in tags:
                    tags.append("raises-exception")
        if BEGIN not in cell.source and END not in cell.source:
            continue
        stub = CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB
        cell.source, top_level = strip_solutions(cell.source, stub, where)
        if cell.cell_type == "code" and top_level:
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
    return exercise


def release(
    solutions_dir: Path, exercises_dir: Path, check_only: bool = False
) -> list[str]:
    """Write (or, with ``check_only``, compare) every exercise notebook, and the
    nbgrader metadata of every solution notebook.

    Returns the names of the notebooks that were, or would be, changed
    (``solutions/NAME`` for a solution whose nbgrader metadata changed).
    """
    solutions = sorted(Path(solutions_dir).glob("*.ipynb"))
    if not solutions:
        raise ReleaseError(f"no solution notebooks (*.ipynb) in {solutions_dir}")
    changed = []
    for path in solutions:
        try:
            solution = nbformat.read(path, as_version=4)
        except Exception as error:
            raise ReleaseError(f"{path} is not a readable notebook: {error}") from error
        graded = with_nbgrader_metadata(solution, path.name)
        solution_text = nbformat.writes(graded) + "\n"
        if path.read_text(encoding="utf-8") != solution_text:
            changed.append(f"solutions/{path.name}")
            if not check_only:
                path.write_text(solution_text, encoding="utf-8")
        text = nbformat.writes(release_notebook(graded, path.name)) + "\n"
        target = Path(exercises_dir) / path.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(path.name)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed

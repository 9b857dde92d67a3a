"""Read the released exercise notebook and rebuild each submission from it.

Only the answer cells are taken from a submission; every other cell (setup, check
and ordinary cells) comes from the release, so a student who deletes, duplicates
or edits a check cell, strips metadata or changes the kernelspec changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nnbook import exercises

NOTEBOOK_SUFFIX = ".ipynb"


class Unreadable(ValueError):
    """A submission that cannot be read as a notebook (the reason is the message)."""


@dataclass(frozen=True)
class Cell:
    """One code cell of the release: ``kind`` is "code", "answer" or "check"."""

    index: int
    id: str
    kind: str
    exercise: str | None
    source: str


@dataclass(frozen=True)
class Release:
    """The released exercise notebook the grader rebuilds every submission from."""

    path: Path
    cells: tuple[Cell, ...]
    exercises: tuple[str, ...]  # graded exercise numbers, in notebook order
    checks_sha256: str

    def answer_cells(self, number: str) -> list[Cell]:
        """The answer cells of exercise ``number`` (usually one)."""
        return [c for c in self.cells if c.kind == "answer" and c.exercise == number]


def _role(cell: dict) -> tuple[str | None, str | None]:
    meta = cell.get("metadata")
    tag = meta.get("nnbook") if isinstance(meta, dict) else None
    if not isinstance(tag, dict):
        return None, None
    number, role = tag.get("exercise"), tag.get("role")
    if not isinstance(number, str) or role not in ("answer", "check"):
        return None, None
    return number, role


def _source(cell: dict) -> str | None:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def load_release(path: Path) -> Release:
    """Read the released notebook (``nnbook grade``'s first argument).

    Raises ``ValueError`` when it is not a release the registry knows how to grade.
    """
    path = Path(path)
    data = path.read_bytes()
    notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    registry = exercises.registry()
    cells: list[Cell] = []
    numbers: list[str] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        number, role = _role(cell)
        kind = role or "code"
        if number is not None:
            if number not in registry:
                raise ValueError(f"{path}: exercise {number} is not in the registry")
            if number not in numbers:
                numbers.append(number)
        cell_id = str(cell.get("id") or f"cell-{index}")
        cells.append(Cell(index, cell_id, kind, number, cell.source))
    for number in numbers:
        if not any(c.kind == "check" and c.exercise == number for c in cells):
            raise ValueError(f"{path}: exercise {number} has no check cell")
    if not numbers:
        raise ValueError(f"{path}: no exercise cells (nnbook metadata) found")
    return Release(path, tuple(cells), tuple(numbers), checks_hash(data, numbers))


def checks_hash(release_bytes: bytes, numbers: list[str]) -> str:
    """sha256 over the release notebook, the checking code
    (``nnbook/exercises/__init__.py``, ``nnbook/datasets.py``) and the spec files
    (``nnbook/exercises/chNN.py``) defining these exercises: two gradings with
    the same hash used the same checks."""
    package = Path(exercises.__file__).parent
    files = [Path(exercises.__file__), package.parent / "datasets.py"]
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        module = importlib.import_module(f"{exercises.__name__}.{info.name}")
        if any(e.number in numbers for e in getattr(module, "EXERCISES", ())):
            files.append(package / f"{info.name}.py")
    digest = hashlib.sha256(release_bytes)
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def read_answers(
    release: Release, path: Path, max_bytes: int
) -> tuple[dict[int, str], list[str]]:
    """The student's answer source for each answer cell of ``release`` (by index).

    Answer cells are matched by cell id, then by the ``nnbook`` metadata; an answer
    cell with no match keeps the release's stub (graded "not attempted"). Returns the
    answers and notes for the feedback. Raises :class:`Unreadable`.
    """
    try:
        size = path.stat().st_size
    except OSError as error:
        raise Unreadable(f"cannot read the file ({error.strerror})") from None
    if size == 0:
        raise Unreadable("the file is empty")
    if size > max_bytes:
        raise Unreadable(
            f"the file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:g} MiB "
            "limit (clear the outputs and hand it in again)"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise Unreadable("the file is not UTF-8 text, so not a notebook") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Unreadable("the file is not valid JSON, so not a notebook") from None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise Unreadable("the file is JSON but not a Jupyter notebook")
    notes: list[str] = []
    if data["nbformat"] != 4:
        try:
            data = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception:
            raise Unreadable(
                f"notebook format {data['nbformat']} cannot be read; save it with "
                "Jupyter 4 or later"
            ) from None
        notes.append("The notebook was in an old format and was converted.")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise Unreadable("the notebook has no list of cells")
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    by_id: dict[str, dict] = {}
    by_exercise: dict[str, list[dict]] = {}
    for cell in code:
        if isinstance(cell.get("id"), str):
            by_id.setdefault(cell["id"], cell)
        number, role = _role(cell)
        if role == "answer":
            by_exercise.setdefault(number, []).append(cell)
    answers: dict[int, str] = {}
    used: set[int] = set()
    for number in release.exercises:
        for cell in release.answer_cells(number):
            match = by_id.get(cell.id)
            if match is None or id(match) in used:
                candidates = [
                    c for c in by_exercise.get(number, []) if id(c) not in used
                ]
                match = candidates[0] if candidates else None
                if match is not None:
                    notes.append(f"Answer cell {cell.id} was found by its metadata.")
            source = _source(match) if match is not None else None
            if source is None:
                notes.append(f"No answer cell found for exercise {number}.")
                continue
            used.add(id(match))
            answers[cell.index] = source
    return answers, notes


def find_submissions(folder: Path) -> list[tuple[str, Path | None, str]]:
    """Every submission in ``folder`` as ``(student id, notebook or None, problem)``.

    ``folder/<student>.ipynb`` and ``folder/<student>/<any name>.ipynb`` (the
    nbgrader / LMS layout) are both read; a student folder without exactly one
    notebook gives a row with ``None`` and the problem. Used by ``nnbook grade``.
    """
    found: list[tuple[str, Path | None, str]] = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == NOTEBOOK_SUFFIX:
            found.append((entry.stem, entry, ""))
        elif entry.is_dir():
            notebooks = sorted(
                p
                for p in entry.rglob("*" + NOTEBOOK_SUFFIX)
                if p.is_file() and ".ipynb_checkpoints" not in p.parts
            )
            if len(notebooks) == 1:
                found.append((entry.name, notebooks[0], ""))
            elif not notebooks:
                found.append((entry.name, None, "no notebook (.ipynb) in the folder"))
            else:
                names = ", ".join(str(p.relative_to(entry)) for p in notebooks)
                found.append((entry.name, None, f"several notebooks: {names}"))
    counts: dict[str, int] = {}
    for student, _, _ in found:
        counts[student] = counts.get(student, 0) + 1
    # Two submissions with one name (alice.ipynb and alice/): keep both, told apart.
    return [
        (
            f"{student} ({path.relative_to(folder) if path else 'folder'})"
            if counts[student] > 1
            else student,
            path,
            problem,
        )
        for student, path, problem in found
    ]

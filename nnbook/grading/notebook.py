"""Read the released exercise notebook and rebuild each submission from it.

Only the answer cells are taken from a submission; every other cell (setup, check
and ordinary cells) comes from the release, so a student who deletes, duplicates
or edits a check cell, strips metadata or changes the kernelspec changes nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import json
import os
import pkgutil
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nnbook import exercises

NOTEBOOK_SUFFIX = ".ipynb"  # matched case-insensitively
MAX_FOLDER_DEPTH = 16  # levels searched below a student's folder
MAX_FOLDER_ENTRIES = 10_000  # entries searched in a student's folder
MAX_ANSWER_BYTES = 2 * 2**20  # an answer cell's source, as stored
MAX_METADATA_BYTES = 64 * 2**10  # a cell's metadata, as stored
MAX_SKIPPED_BRACKETS = 2_000_000  # objects and arrays in the parts not read
MAX_OLD_FORMAT_BYTES = 4 * 2**20  # nbformat 3 notebooks are read whole


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


class _Scan:
    """Read the parts of a notebook file the grader needs (the format version and,
    per cell, its type, id, metadata and where its source is) without building
    the rest: outputs and attachments are skipped over, so a notebook of tens of
    MiB costs its own size in memory, not many times that."""

    WS = re.compile(rb"[ \t\n\r]*")
    # Possessive quantifiers: the regex engine keeps no backtracking state, so a
    # string of millions of escapes costs no memory to skip.
    STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')
    SCALAR = re.compile(rb"-?[0-9][0-9eE.+-]*|true|false|null")
    # A run of strings and other text without brackets, or one bracket.
    RUN = re.compile(rb'(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"|[^"\[\]{}]++)++|[\[\]{}]')

    def __init__(self, data: bytes) -> None:
        self.data = data

    def fail(self) -> None:
        raise Unreadable("the file is not valid JSON, so not a notebook")

    def ws(self, pos: int) -> int:
        return self.WS.match(self.data, pos).end()

    def expect(self, pos: int, char: bytes) -> int:
        pos = self.ws(pos)
        if self.data[pos : pos + 1] != char:
            self.fail()
        return pos + 1

    def skip(self, pos: int) -> int:
        """The end of the JSON value starting at ``pos`` (not built)."""
        pos = self.ws(pos)
        first = self.data[pos : pos + 1]
        if first == b'"':
            match = self.STRING.match(self.data, pos)
            if match is None:
                self.fail()
            return match.end()
        if first not in (b"{", b"["):
            match = self.SCALAR.match(self.data, pos)
            if match is None:
                self.fail()
            return match.end()
        depth = brackets = 0
        for match in self.RUN.finditer(self.data, pos):
            token = match.group()
            if token in (b"{", b"["):
                depth += 1
                brackets += 1
                if brackets > MAX_SKIPPED_BRACKETS:
                    raise Unreadable(
                        "the notebook's outputs are too large to read (clear the "
                        "outputs and hand it in again)"
                    )
            elif token in (b"}", b"]"):
                depth -= 1
                if depth == 0:
                    return match.end()
        self.fail()

    def load(self, start: int, end: int) -> object:
        try:
            return json.loads(self.data[start:end])
        except (ValueError, RecursionError):
            self.fail()

    def members(self, pos: int):
        """(key, value start, value end) of the object at ``pos``; then its end."""
        pos = self.expect(pos, b"{")
        if self.data[self.ws(pos) : self.ws(pos) + 1] == b"}":
            return [], self.ws(pos) + 1
        found = []
        while True:
            pos = self.ws(pos)
            match = self.STRING.match(self.data, pos)
            if match is None:
                self.fail()
            key = self.load(match.start(), match.end())
            pos = self.expect(match.end(), b":")
            start = self.ws(pos)
            end = self.skip(start)
            found.append((key, start, end))
            pos = self.ws(end)
            if self.data[pos : pos + 1] == b"}":
                return found, pos + 1
            pos = self.expect(pos, b",")

    def notebook(self) -> dict:
        members, end = self.members(0)
        if self.ws(end) != len(self.data):
            self.fail()
        top = {key: (start, stop) for key, start, stop in members}
        found: dict = {}
        if "nbformat" in top:
            found["nbformat"] = self.load(*top["nbformat"])
        if "cells" in top:
            start, stop = top["cells"]
            if self.data[start : start + 1] != b"[":
                found["cells"] = None
                return found
            cells = []
            pos = self.ws(start + 1)
            while self.data[pos : pos + 1] != b"]":
                if self.data[pos : pos + 1] == b"{":
                    cells.append(self.cell(pos))
                pos = self.ws(self.skip(pos))
                if self.data[pos : pos + 1] == b",":
                    pos = self.ws(pos + 1)
                elif self.data[pos : pos + 1] != b"]":
                    self.fail()
            found["cells"] = cells
        return found

    def cell(self, pos: int) -> dict:
        cell: dict = {}
        members, _ = self.members(pos)
        for key, start, stop in members:
            if key in ("cell_type", "id") and stop - start < 1024:
                cell[key] = self.load(start, stop)
            elif key == "metadata" and stop - start <= MAX_METADATA_BYTES:
                cell[key] = self.load(start, stop)
            elif key == "source":
                cell["source"] = _Source(self, start, stop)
        return cell


@dataclass(frozen=True)
class _Source:
    """Where a cell's source is in the file; read only for answer cells."""

    scan: _Scan
    start: int
    stop: int

    def text(self) -> str | None:
        if self.stop - self.start > MAX_ANSWER_BYTES:
            return None
        return _source({"source": self.scan.load(self.start, self.stop)})


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``, which must be a regular file (a symbolic link, a
    FIFO or a device is refused, even if swapped in after the folder was read)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise Unreadable(f"cannot read the file ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"it is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size == 0:
            raise Unreadable("the file is empty")
        if info.st_size > max_bytes:
            raise Unreadable(
                f"the file is {info.st_size / 2**20:.1f} MiB, over the "
                f"{max_bytes / 2**20:g} MiB limit (clear the outputs and hand it in "
                "again)"
            )
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise Unreadable(f"cannot read the file ({error.strerror})") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise Unreadable(f"the file is over the {max_bytes / 2**20:g} MiB limit")
    if size == 0:
        raise Unreadable("the file is empty")
    return b"".join(chunks)


def _check_utf8(data: bytes) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text, so not a notebook") from None


def _parse(data: bytes) -> tuple[dict, list[str]]:
    """The format version and cells of a notebook file (see :class:`_Scan`)."""
    if data[:3] == codecs.BOM_UTF8:
        data = data[3:]
    scan = _Scan(data)
    start = scan.ws(0)
    if data[start : start + 1] != b"{":
        if len(data) <= 2**20:
            try:
                json.loads(data)
            except (ValueError, RecursionError):
                pass
            else:
                raise Unreadable("the file is JSON but not a Jupyter notebook")
        scan.fail()
    found = scan.notebook()
    notes: list[str] = []
    version = found.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Unreadable("the file is JSON but not a Jupyter notebook")
    if version != 4:
        if len(data) > MAX_OLD_FORMAT_BYTES:
            raise Unreadable(
                f"notebook format {version} and over "
                f"{MAX_OLD_FORMAT_BYTES // 2**20} MiB; save it with Jupyter 4 or later"
            )
        try:
            old = nbformat.convert(nbformat.from_dict(json.loads(data)), 4)
        except Exception:
            raise Unreadable(
                f"notebook format {version} cannot be read; save it with "
                "Jupyter 4 or later"
            ) from None
        notes.append("The notebook was in an old format and was converted.")
        return {"nbformat": 4, "cells": old.get("cells")}, notes
    return found, notes


def read_answers(
    release: Release, path: Path, max_bytes: int
) -> tuple[dict[int, str], list[str]]:
    """The student's answer source for each answer cell of ``release`` (by index).

    Answer cells are matched by cell id, then by the ``nnbook`` metadata; an answer
    cell with no match keeps the release's stub (graded "not attempted"). Returns the
    answers and notes for the feedback. Raises :class:`Unreadable`. Only a regular
    file is read; outputs are skipped over, never built (see :class:`_Scan`).
    """
    data = _read_regular(Path(path), max_bytes)
    _check_utf8(data)
    found, notes = _parse(data)
    cells = found.get("cells")
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
            source = match.get("source") if match is not None else None
            if isinstance(source, _Source):
                source = source.text()
                if source is None:
                    notes.append(
                        f"Answer cell {cell.id} is over {MAX_ANSWER_BYTES // 2**20} "
                        "MiB and was not read."
                    )
            elif source is not None:
                source = _source(match)
            if source is None:
                notes.append(f"No answer cell found for exercise {number}.")
                continue
            used.add(id(match))
            answers[cell.index] = source
    return answers, notes


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def shown_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 are written ``\\xNN``, so
    every student id can be written to grades.csv and the feedback."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_notebook_name(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIX)


def _walk(root: str) -> tuple[list[str], list[str], str]:
    """Notebook-like entries under a student folder, without following links and
    without recursion: (regular notebook files, refused entries with why, a
    problem with the folder itself or "")."""
    notebooks: list[str] = []
    refused: list[str] = []
    problem = ""
    stack = [(root, 0)]
    seen = 0
    while stack:
        path, depth = stack.pop()
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda e: os.fsencode(e.name))
        except OSError as error:
            problem = problem or f"a folder in it cannot be read ({error.strerror})"
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_FOLDER_ENTRIES:
                return notebooks, refused, f"over {MAX_FOLDER_ENTRIES} files"
            try:
                mode = os.lstat(entry.path).st_mode
            except OSError:
                continue
            relative = shown_name(os.path.relpath(entry.path, root))
            if stat.S_ISDIR(mode):
                if entry.name.startswith("."):  # .ipynb_checkpoints, .git, ...
                    continue
                if depth + 1 >= MAX_FOLDER_DEPTH:
                    problem = problem or (
                        f"it is nested more than {MAX_FOLDER_DEPTH} levels deep "
                        "(not searched further)"
                    )
                    continue
                stack.append((entry.path, depth + 1))
            elif _is_notebook_name(entry.name):
                if stat.S_ISREG(mode):
                    notebooks.append(entry.path)
                else:
                    refused.append(f"{relative} is {file_kind(mode)}")
    return notebooks, refused, problem


def find_submissions(folder: Path) -> list[tuple[str, Path | None, str]]:
    """Every submission in ``folder`` as ``(student id, notebook or None, problem)``.

    ``folder/<student>.ipynb`` and ``folder/<student>/<any name>.ipynb`` (the
    nbgrader / LMS layout) are both read; the suffix is matched in any case. Only
    regular files and real folders are followed: a symbolic link, a FIFO or a
    device that looks like a hand-in gets a row with ``None`` and the reason, as
    does a student folder without exactly one notebook. The folder is searched
    without recursion, at most ``MAX_FOLDER_DEPTH`` levels deep. A file name that
    is not UTF-8 gives an id with ``\\xNN`` escapes. Used by ``nnbook grade``.
    """
    found: list[tuple[str, Path | None, str, str]] = []
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: os.fsencode(e.name))
    for entry in entries:
        name, shown = entry.name, shown_name(entry.name)
        notebook_like = _is_notebook_name(name)
        try:
            mode = os.lstat(entry.path).st_mode
        except OSError as error:
            if notebook_like:
                student = shown[: -len(NOTEBOOK_SUFFIX)] or "(unnamed)"
                reason = f"{shown} cannot be read ({error.strerror})"
                found.append((student, None, reason, shown))
            continue
        if stat.S_ISDIR(mode):
            if name.startswith("."):
                continue
            notebooks, refused, problem = _walk(entry.path)
            if len(notebooks) == 1 and not refused:
                found.append((shown, Path(notebooks[0]), "", shown))
            elif refused and not notebooks and len(refused) == 1:
                reason = f"{refused[0]}, not a regular file; hand in the file itself"
                found.append((shown, None, reason, shown))
            elif notebooks or refused:
                names = [shown_name(os.path.relpath(p, entry.path)) for p in notebooks]
                listed = ", ".join(names + refused)
                found.append((shown, None, f"several notebooks: {listed}", shown))
            else:
                reason = "no notebook (.ipynb) in the folder"
                if problem:
                    reason += f"; {problem}"
                found.append((shown, None, reason, shown))
        elif notebook_like:
            student = shown[: -len(NOTEBOOK_SUFFIX)] or "(unnamed)"
            if stat.S_ISREG(mode):
                found.append((student, Path(entry.path), "", shown))
            else:
                reason = (
                    f"{shown} is {file_kind(mode)}, not a regular file; hand in the "
                    "notebook file itself"
                )
                found.append((student, None, reason, shown))
        elif stat.S_ISLNK(mode) and os.path.isdir(entry.path):
            reason = "the student folder is a symbolic link; hand in a real folder"
            found.append((shown, None, reason, shown))
    counts: dict[str, int] = {}
    for student, *_ in found:
        counts[student] = counts.get(student, 0) + 1
    # Two submissions with one name (alice.ipynb and alice/): keep both, told apart.
    told_apart = []
    for student, path, problem, entry in found:
        if counts[student] > 1:
            where = entry if path is None else str(path.relative_to(folder))
            student = f"{student} ({shown_name(where)})"
        told_apart.append((student, path, problem))
    return told_apart

"""``nnbook gradescope``: the autograder zip an instructor uploads to Gradescope.

Usage::

    nnbook gradescope exercises/01_neurons.ipynb --out autograder.zip

Gradescope's autograder specification (gradescope-autograders.readthedocs.io,
"Autograder Specifications"): the zip holds ``setup.sh`` (run once, as root, when
Gradescope builds the image) and ``run_autograder`` (run for every submission,
in ``/autograder``) at its root; Gradescope unpacks it into
``/autograder/source``, puts the student's files in ``/autograder/submission``
and reads ``/autograder/results/results.json``.

The zip built here holds:

``setup.sh``
    installs bubblewrap (for the sandbox; the grader falls back to unshare or
    rlimits if the container refuses it), makes a virtualenv and installs the
    course package, bundled in ``course/``, with pip;
``run_autograder``
    runs ``nnbook grade --gradescope`` on ``/autograder/submission`` against the
    bundled release, writing ``/autograder/results/results.json``; if grading
    itself fails, it still writes a results.json (score 0) that says so;
``release/<name>.ipynb``
    the released exercise notebook;
``course/``
    ``pyproject.toml`` and the whole ``nnbook`` package, the checks
    (``nnbook/exercises``) included;
``requirements-grader.txt``
    the course's pins of what grading needs (numpy, nbformat, matplotlib), so
    the image does not install the book's toolchain;
``nnbook-autograder.json``
    the grader version and the checks' sha256, as in grading.json.

``NNBOOK_AUTOGRADER_ROOT`` (default ``/autograder``) and ``NNBOOK_PYTHON``
(default the virtualenv ``setup.sh`` makes) let a test run ``run_autograder``
in a temporary folder with an existing Python.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
import tomllib
import zipfile
from pathlib import Path

import nnbook
from nnbook.grading.notebook import load_release
from nnbook.grading.sandbox import package_dir

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
ROOT="${NNBOOK_AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap is optional: without it the grader uses unshare or rlimits only.
apt-get install -y python3 python3-venv python3-pip || true
apt-get install -y bubblewrap || true
# The course is tested on Python 3.11 (Ubuntu 22.04 has it as python3.11).
apt-get install -y python3.11 python3.11-venv || true
PYTHON="${NNBOOK_SETUP_PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --upgrade pip
# Only what grading needs (pinned as in the course), not the book's toolchain.
"$ROOT/venv/bin/pip" install -r "$ROOT/source/requirements-grader.txt"
"$ROOT/venv/bin/pip" install --no-deps "$ROOT/source/course"
"""

# What grading needs of the course's pinned dependencies: numbers, notebooks,
# and matplotlib (nnbook.style, which exercise notebooks may import).
GRADER_PACKAGES = ("numpy", "nbformat", "matplotlib")

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades the submission in the
# sandbox of `nnbook grade` and writes results/results.json.
set -uo pipefail
ROOT="${NNBOOK_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${NNBOOK_PYTHON:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results"
mkdir -p "$RESULTS"
rm -f "$RESULTS/results.json"
cd "$ROOT"
"$PYTHON" -m nnbook.cli grade "$ROOT/source/release/RELEASE_NAME" \\
    "$ROOT/submission" --out "$RESULTS" --gradescope --jobs 1 --no-progress
code=$?
if [ ! -s "$RESULTS/results.json" ]; then
    cat > "$RESULTS/results.json" <<'JSON'
{"score": 0, "tests": [], "output_format": "text", "visibility": "visible",
 "stdout_visibility": "hidden",
 "output": "The autograder could not grade this submission; tell your instructor."}
JSON
fi
exit $code
"""


def build(release_path: Path, out: Path) -> Path:
    """Write the autograder zip for ``release_path`` to ``out`` (``nnbook
    gradescope``). Raises ``ValueError`` when the release cannot be graded."""
    release = load_release(Path(release_path))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = package_dir()
    course = source.parent
    if not (course / "pyproject.toml").is_file():
        raise ValueError(f"{course} has no pyproject.toml: cannot bundle the course")
    manifest = {
        "grader_version": nnbook.__version__,
        "checks_sha256": release.checks_sha256,
        "release": release.path.name,
        "exercises": list(release.exercises),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP, executable=True)
        run = RUN.replace("RELEASE_NAME", shlex.quote(release.path.name))
        _add(archive, "run_autograder", run, executable=True)
        _add(archive, f"release/{release.path.name}", release.path.read_bytes())
        _add(archive, "nnbook-autograder.json", json.dumps(manifest, indent=1) + "\n")
        _add(archive, "course/pyproject.toml", (course / "pyproject.toml").read_bytes())
        _add(archive, "requirements-grader.txt", grader_requirements(course))
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if path.is_file() and not path.is_symlink() and not _cache(relative):
                _add(archive, f"course/nnbook/{relative.as_posix()}", path.read_bytes())
    return out


def grader_requirements(course: Path) -> str:
    """The course's pinned requirements of the packages grading needs."""
    with open(course / "pyproject.toml", "rb") as handle:
        pins = tomllib.load(handle)["project"]["dependencies"]
    chosen = [
        pin
        for pin in pins
        if re.split(r"[=<>!~ \[;]", pin, maxsplit=1)[0].lower() in GRADER_PACKAGES
    ]
    missing = set(GRADER_PACKAGES) - {re.split(r"[=<>!~ ]", p)[0] for p in chosen}
    return "\n".join(chosen + sorted(missing)) + "\n"


def _cache(relative: Path) -> bool:
    return "__pycache__" in relative.parts or relative.suffix in (".pyc", ".pyo")


def _add(
    archive: zipfile.ZipFile, name: str, data: str | bytes, executable: bool = False
) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data.encode() if isinstance(data, str) else data)

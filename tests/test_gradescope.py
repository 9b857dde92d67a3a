"""`nnbook gradescope`: the autograder zip, unpacked into an /autograder-like
folder and run on hand-ins as Gradescope would (issue 10, item 5)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nnbook import cli, exercises
from nnbook.grading.notebook import load_release

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
SOLUTION = ROOT / "solutions" / "01_neurons.ipynb"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def validate(results: dict) -> None:
    """results.json as Gradescope's autograder specification describes it."""
    assert isinstance(results["score"], int | float)
    assert results.get("visibility", "visible") in VISIBILITY
    assert results.get("stdout_visibility", "hidden") in VISIBILITY
    assert results.get("output_format", "text") in FORMATS
    assert isinstance(results.get("output", ""), str)
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], int | float)
        assert isinstance(test["max_score"], int | float)
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
        assert test.get("visibility", "visible") in VISIBILITY
        assert test.get("output_format", "text") in FORMATS
        assert test.get("status", "passed") in ("passed", "failed")
    assert results["score"] == sum(t["score"] for t in results["tests"])


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    zip_path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert cli.main(["gradescope", str(RELEASE), "--out", str(zip_path)]) == 0
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)  # at the zip's root
        assert f"release/{RELEASE.name}" in names
        assert "course/pyproject.toml" in names
        assert "course/nnbook/exercises/ch01.py" in names  # the checks
        assert not any("__pycache__" in n for n in names)
        for info in archive.infolist():
            if info.filename in ("setup.sh", "run_autograder"):
                assert (info.external_attr >> 16) & stat.S_IXUSR
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(
    root: Path, handin: Path
) -> tuple[subprocess.CompletedProcess, dict]:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    shutil.copy(handin, submission / RELEASE.name)
    env = dict(
        os.environ,
        NNBOOK_AUTOGRADER_ROOT=str(root),
        NNBOOK_PYTHON=sys.executable,  # the venv here, instead of setup.sh's
        PYTHONPATH=str(root / "source" / "course"),  # the bundled course code
    )
    done = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    results = json.loads((root / "results" / "results.json").read_text())
    return done, results


def test_the_solution_scores_full_marks_in_valid_results(autograder: Path) -> None:
    done, results = run_autograder(autograder, SOLUTION)
    assert done.returncode == 0, done.stderr[-3000:]
    validate(results)
    release = load_release(RELEASE)
    total = sum(exercises.get(n).points for n in release.exercises)
    assert results["score"] == total
    assert [t["status"] for t in results["tests"]] == ["passed"] * len(
        release.exercises
    )
    assert "sandbox = " in done.stdout + done.stderr


def test_the_blank_release_scores_zero_with_feedback(autograder: Path) -> None:
    done, results = run_autograder(autograder, RELEASE)
    assert done.returncode == 0, done.stderr[-3000:]
    validate(results)
    assert results["score"] == 0
    assert all("NOT ATTEMPTED" in t["output"] for t in results["tests"])


def test_a_failure_to_grade_still_gives_results(
    autograder: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(autograder, broken, symlinks=True)
    (broken / "source" / "release" / RELEASE.name).write_text("not a notebook")
    done, results = run_autograder(broken, SOLUTION)
    assert done.returncode != 0
    validate(results)
    assert results["score"] == 0 and "could not grade" in results["output"]


def test_setup_installs_the_bundled_course_and_bubblewrap(autograder: Path) -> None:
    setup = (autograder / "source" / "setup.sh").read_text()
    assert "bubblewrap" in setup
    assert 'install --no-deps "$ROOT/source/course"' in setup
    pins = (autograder / "source" / "requirements-grader.txt").read_text().split()
    assert [p.split("==")[0] for p in pins] == ["numpy", "matplotlib", "nbformat"]
    assert all("==" in p for p in pins)
    completed = subprocess.run(["bash", "-n", str(autograder / "source" / "setup.sh")])
    assert completed.returncode == 0

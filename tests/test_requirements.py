"""requirements.txt (what Binder installs) pins all and matches pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


def requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_requirement_is_pinned_exactly_and_the_package_is_installed():
    lines = requirement_lines()
    assert "-e ." in lines
    for line in lines:
        if line != "-e .":
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][\w.]*", line), line


def test_requirements_and_package_dependencies_agree():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = set(pyproject["project"]["dependencies"])
    pinned = {line for line in requirement_lines() if line != "-e ."}
    assert declared == pinned


def test_jupyter_book_is_the_1x_line():
    pins = dict(line.split("==") for line in requirement_lines() if "==" in line)
    assert pins["jupyter-book"].startswith("1.")


def test_test_requirements_match_the_test_extra_and_are_pinned():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = set(pyproject["project"]["optional-dependencies"]["test"])
    lines = (ROOT / "requirements-test.txt").read_text().splitlines()
    pinned = {line.strip() for line in lines if line.strip() and line[0] != "#"}
    assert declared == pinned
    assert all("==" in line for line in pinned)


def test_learners_get_jupyterlab_with_myst_rendering():
    pins = dict(line.split("==") for line in requirement_lines() if "==" in line)
    assert "jupyterlab" in pins and "jupyterlab-myst" in pins


def test_binder_python_is_the_tested_python_and_allowed_by_the_package():
    import sys

    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = pyproject["project"]["requires-python"].removeprefix(">=")
    major, minor = (int(part) for part in floor.split(".")[:2])
    assert (sys.version_info.major, sys.version_info.minor) >= (major, minor)

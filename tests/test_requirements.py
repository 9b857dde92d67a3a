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

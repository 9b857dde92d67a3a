"""The PDF of the whole book (``make pdf``, part of ``make book``).

Opens ``_build/latex/neurons-to-attention.pdf`` with poppler's command-line tools
and checks that every chapter and the bibliography are in it, that math was
typeset (math fonts embedded, no TeX source left in the text), that it has at
least as many pictures as the chapters' figures and live figures, and that the
HTML book serves the same file. Skips, saying why, on a machine without XeLaTeX
or poppler-utils (``make texlive`` installs them as root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BOOK, ROOT

# NNBOOK_BUILD: check another build folder (one made with --path-output X: X/_build).
BUILD = Path(os.environ.get("NNBOOK_BUILD") or ROOT / "_build")
LATEX = BUILD / "latex"
PDF = LATEX / "neurons-to-attention.pdf"
SERVED = BUILD / "html" / "_downloads" / PDF.name
TOOLS = ("xelatex", "latexmk", "pdfinfo", "pdftotext", "pdffonts", "pdfimages")

missing = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"no PDF toolchain ({', '.join(missing)} missing): as root, "
    "`make texlive` installs it, then `make pdf` builds the PDF",
)


def run(*command: str) -> str:
    return subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=120
    ).stdout


def chapter_titles() -> list[str]:
    """Each chapter's title, from its notebook's first heading."""
    titles = []
    for path in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        if f"book/{path.stem}" not in (ROOT / "_toc.yml").read_text():
            continue
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            match = re.search(r"^# (.+)$", source, re.M)
            if cell["cell_type"] == "markdown" and match:
                titles.append(match.group(1).strip())
                break
    return titles


def executed_chapters() -> list:
    """The chapters of the table of contents with the outputs the PDF was made
    from: the build's execution cache (``jupyter_execute`` keeps only the outputs
    the last builder used)."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(BUILD / ".jupyter_cache"))
    toc = (ROOT / "_toc.yml").read_text()
    chapters = []
    for path in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        if f"book/{path.stem}" in toc:
            notebook = nbformat.read(path, as_version=4)
            try:
                chapters.append(cache.merge_match_into_notebook(notebook)[1])
            except KeyError:
                pytest.fail(f"{path.name} has no executed copy in {BUILD}")
    return chapters


@pytest.fixture(scope="module")
def pdf():
    if not PDF.exists():
        pytest.fail(f"{PDF} missing: `make pdf` (part of `make book`) builds it")
    return PDF


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return run("pdftotext", "-layout", str(pdf), "-")


def test_every_chapter_and_the_bibliography_are_in_the_pdf(pdf, text):
    info = run("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    titles = chapter_titles()
    assert titles, "no chapter titles found"
    assert pages >= 8 * len(titles), f"{pages} pages for {len(titles)} chapters"
    flat = " ".join(text.split())
    for title in titles:
        assert title in flat, f"chapter {title!r} not in the PDF"
    assert "Bibliography" in flat and "Rosenblatt, 1958" in flat


def test_math_is_typeset_not_left_as_tex(pdf, text):
    fonts = run("pdffonts", str(pdf))
    # Computer Modern / Latin Modern math fonts: the equations were typeset
    assert re.search(r"CMMI|CMSY|LMMath|lmmi|LatinModernMath", fonts, re.I), fonts
    # TeX delimiters left in the text would be math that was not typeset (TeX
    # commands themselves do appear, in the code listings that draw labels)
    leftovers = [m for m in ("\\(", "\\[", "$$") if m in text]
    assert leftovers == []


def test_figures_and_live_figures_are_in_the_pdf(pdf):
    listed = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    images = [line for line in listed if line.split()[2] == "image"]
    outputs = [
        output.get("data", {})
        for notebook in executed_chapters()
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    pictures = sum("image/png" in data for data in outputs)
    # a live figure shows its own start image/png, or nnbook.offline makes one
    # from its static HTML (nnbook-live-*.png next to the .tex file)
    live = [d for d in outputs if "nnbook-live-figure" in str(d.get("text/html", ""))]
    converted = len(list(LATEX.glob("nnbook-live-*.png")))
    assert live, "no live figure in the executed chapters"
    assert converted >= sum("image/png" not in d for d in live)
    assert len(images) >= pictures + converted, (len(images), pictures, converted)


def test_the_html_book_serves_this_pdf(pdf):
    assert SERVED.exists(), f"{SERVED} missing: `make pdf` copies it there"
    assert SERVED.read_bytes() == pdf.read_bytes()

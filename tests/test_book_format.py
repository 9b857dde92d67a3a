"""One page, two readers: the rules that make a chapter read right both in the
HTML book and in JupyterLab (with jupyterlab-myst). See nnbook/quoted.py and
nnbook/notebooks.py for the mechanisms."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import ROOT, chapter_notebooks

from nnbook import exercises, quoted
from nnbook.notebooks import chapter_number, sync_folding, with_caption_cells
from nnbook.style import MIN_FONT_SIZE

CHAPTERS = chapter_notebooks()
NUMBERED = [p for p in CHAPTERS if not p.name.startswith("00_")]
ids = {"ids": lambda p: p.name}


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_prose_quotes_numbers_with_eval_not_glue(path):
    notebook = read(path)
    for cell in notebook.cells:
        assert "glue" not in cell.source, f"cell {cell.id}: use {{eval}}, not glue"


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_every_quoted_number_is_stored_for_jupyterlab(path):
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        wanted = quoted.expressions(cell.source)
        stored = quoted.stored(cell)
        assert set(wanted) == set(stored), (
            f"cell {cell.id}: run `nnbook execute` ({set(wanted) ^ set(stored)})"
        )
        assert all(r["status"] == "ok" for r in stored.values())


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_caption_cells_for_jupyterlab_match_the_figures(path):
    notebook = read(path)
    expected = with_caption_cells(notebook.cells, chapter_number(path))
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in expected
    ], "run `nnbook execute`: caption cells are out of date"


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_code_folded_in_the_book_is_folded_in_jupyterlab(path):
    notebook = read(path)
    before = [dict(c.metadata) for c in notebook.cells]
    sync_folding(notebook.cells)
    assert before == [dict(c.metadata) for c in notebook.cells]


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_citations_are_links_whose_text_names_the_first_author_and_year(path):
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = quoted.bibliography_keys([ROOT / "references.bib"])
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        assert "{cite" not in cell.source, f"cell {cell.id}: write a citation link"
        for text, key in quoted.CITATION_LINK.findall(cell.source):
            if key not in keys:
                continue
            entry = bib[bib.index(key + ",") :].split("\n@")[0]
            year = re.search(r"year\s*=\s*[{\"]?(\d{4})", entry).group(1)
            author = re.search(r"author\s*=\s*[{\"](.+)", entry).group(1)
            surname = author.split(" and ")[0].split(",")[0].strip("{} ")
            assert year in text and surname.split()[-1] in text, (
                f"cell {cell.id}: [{text}](#{key}) should name {surname} and {year}"
            )


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_figure_text_is_never_smaller_than_the_style_allows(path):
    for cell in read(path).cells:
        if cell.cell_type != "code":
            continue
        for size in re.findall(r"fontsize=(\d+(?:\.\d+)?)", cell.source):
            assert float(size) >= MIN_FONT_SIZE, f"cell {cell.id}: fontsize={size}"


@pytest.mark.parametrize("path", NUMBERED, **ids)
def test_exercise_section_lists_the_registered_exercises_in_order(path):
    number = str(chapter_number(path))
    registered = [
        (n, e.title, e.points)
        for n, e in exercises.registry().items()
        if n.split(".")[0] == number
    ]
    prose = "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    listed = re.findall(
        r"^- \*\*Exercise (\d+\.\d+)\*\* \((\d+) points?, (\w+)\): (.+)$",
        prose,
        re.MULTILINE,
    )
    assert [(n, t.strip(), int(p)) for n, p, _, t in listed] == registered
    kinds = [k for _, _, k, _ in listed]
    assert set(kinds) <= {
        "derivation",
        "prediction",
        "experiment",
        "design",
        "implementation",
    }
    teaching = sum(k != "implementation" for k in kinds)
    assert teaching * 2 >= len(kinds), "at least half the exercises teach"

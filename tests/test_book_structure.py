"""Every chapter follows chapter 1's model, and its notebook is lean and executed."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml
from conftest import BOOK, EXERCISES, ROOT, SOLUTIONS, chapter_notebooks

CHAPTERS = [p for p in chapter_notebooks() if not p.name.startswith("00_")]
ALL_NOTEBOOKS = chapter_notebooks() + sorted(SOLUTIONS.glob("*.ipynb"))


def text_of(notebook, cell_type):
    return "\n".join(c.source for c in notebook.cells if c.cell_type == cell_type)


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


def test_toc_lists_every_chapter_notebook_in_order():
    listed = [f for f in toc_files() if re.match(r"book/\d\d_", f)]
    on_disk = [f"book/{p.stem}" for p in chapter_notebooks()]
    assert listed == on_disk


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_every_part_of_the_model(path):
    notebook = nbformat.read(path, as_version=4)
    prose = text_of(notebook, "markdown")
    code = text_of(notebook, "code")
    for heading in [
        "Learning objectives",
        "## Key takeaways",
        "## Check yourself",
        "## Exercises",
        "## References",
    ]:
        assert heading in prose, f"{path.name} lacks {heading!r}"
    assert re.search(r"\]\(#[a-z]+\d{4}[a-z]*\)", prose), "cite the primary sources"
    assert "import sympy" in code and "show(" in code, (
        "derive with SymPy, shown as math (nnbook.symbolic.show)"
    )
    assert "assert_allclose" in code, "check the derivation against NumPy"
    assert "live_figure(" in code, "sliders for weights and biases"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_solutions_and_exercises_with_the_same_name(path):
    assert (SOLUTIONS / path.name).exists()
    assert (EXERCISES / path.name).exists()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_has_a_caption_a_label_and_alt_text(path):
    notebook = nbformat.read(path, as_version=4)
    figures = 0
    for cell in notebook.cells:
        produces_image = any(
            "image/png" in out.get("data", {}) for out in cell.get("outputs", [])
        )
        if cell.cell_type != "code" or not produces_image:
            continue
        figures += 1
        options = cell.metadata.get("mystnb", {})
        assert options.get("figure", {}).get("caption"), f"cell {cell.id}: no caption"
        assert options.get("figure", {}).get("name"), f"cell {cell.id}: no label"
        assert options.get("image", {}).get("alt"), f"cell {cell.id}: no alt text"
    assert figures >= 1


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_notebook_is_committed_executed_without_errors(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"cell {cell.id} was never executed"
        tags = cell.metadata.get("tags", [])
        for output in cell.outputs:
            if output.output_type == "error":
                assert "raises-exception" in tags, f"cell {cell.id} raised"


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_notebook_is_lean_and_free_of_timing_metadata(path):
    assert path.stat().st_size < 1_500_000
    notebook = nbformat.read(path, as_version=4)
    assert all("execution" not in c.metadata for c in notebook.cells)


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_cells_that_nbval_skips_say_why(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "nbval-ignore-output" in tags or "nbval-skip" in tags:
            assert cell.metadata.get("nbval-reason"), (
                f"cell {cell.id}: give nbval-reason"
            )


def test_exercise_notebooks_are_committed_without_outputs():
    for path in EXERCISES.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_front_page_and_bibliography_exist():
    assert (BOOK / "index.md").exists() and (BOOK / "bibliography.md").exists()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_check_yourself_questions_have_their_answers_in_closed_dropdowns(path):
    # Admonitions render in the book and in JupyterLab alike; sphinx-exercise's
    # boxes are titled "Exercise" and would share numbers with graded exercises.
    prose = text_of(nbformat.read(path, as_version=4), "markdown")
    questions = re.findall(r":::\{admonition\} Check yourself", prose)
    answers = re.findall(r":::\{admonition\} Answer\n:class: dropdown", prose)
    assert len(questions) >= 3, "each chapter has three or more check-yourself"
    assert len(answers) == len(questions)
    assert "{exercise}" not in prose and "{solution}" not in prose

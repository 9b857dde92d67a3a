"""Code saved from the chapters into nnbook.nn stays identical to their cells."""

from __future__ import annotations

import ast

import nbformat
import pytest
from conftest import ROOT, chapter_notebooks


def definitions(source: str) -> dict[str, str]:
    """Top-level functions and classes of ``source``, by name, as normalised code."""
    tree = ast.parse(source)
    return {
        node.name: ast.unparse(node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


PACKAGE_COPIES = definitions((ROOT / "nnbook" / "nn.py").read_text())


def saved_cells():
    for path in chapter_notebooks():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if "nnbook-save" in cell.metadata.get("tags", []):
                yield path, cell


SAVED = [
    (path.name, name, code)
    for path, cell in saved_cells()
    for name, code in definitions(cell.source).items()
]


@pytest.mark.parametrize(
    "chapter, name, code", SAVED, ids=[f"{c}:{n}" for c, n, _ in SAVED]
)
def test_package_copy_is_identical_to_the_chapter(chapter, name, code):
    assert name in PACKAGE_COPIES, f"copy {name} from {chapter} into nnbook/nn.py"
    assert PACKAGE_COPIES[name] == code, f"nnbook.nn.{name} differs from {chapter}"


def test_every_package_copy_comes_from_a_chapter():
    saved_names = {name for _, name, _ in SAVED}
    assert set(PACKAGE_COPIES) == saved_names


def test_each_saved_definition_names_its_chapter_in_the_docstring():
    for chapter, name, code in SAVED:
        number = int(chapter[:2])
        assert f"(chapter {number}," in code, (
            f"{name}: docstring must name chapter {number}"
        )

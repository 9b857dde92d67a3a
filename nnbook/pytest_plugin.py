"""pytest plugin: while ``pytest --nbval`` runs a notebook, check its quoted numbers.

After each code cell, the ``{eval}`` expressions of the Markdown cells that follow it
are evaluated in nbval's kernel and compared with the values stored in the notebook
(:mod:`nnbook.quoted`). A stale or failing value fails that cell's test, so the
numbers the prose quotes are judged as strictly as the cells' outputs. Enabled
with ``-p nnbook.pytest_plugin`` (pyproject.toml does it).
"""

from __future__ import annotations

import pytest

from nnbook import quoted


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # raises if the cell itself failed
    parent = getattr(item, "parent", None)
    kernel = getattr(parent, "kernel", None)
    notebook = getattr(parent, "nb", None)
    cell = getattr(item, "cell", None)
    if kernel is None or notebook is None or cell is None:
        return result
    run = quoted.blocking_runner(kernel.kc)
    found = []
    for markdown in quoted.markdown_after(notebook, cell):
        fresh = quoted.evaluate(run, markdown.source)
        found += quoted.problems(markdown, fresh)
    if found:
        pytest.fail(
            "quoted numbers in the Markdown after this cell are out of date "
            "(run `nnbook execute` on the notebook):\n  " + "\n  ".join(found),
            pytrace=False,
        )
    return result

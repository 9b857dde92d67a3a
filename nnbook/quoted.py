"""Numbers quoted in prose, shown the same in JupyterLab and in the HTML book.

A chapter's Markdown quotes a computed value with MyST's inline role, for example
``the weighted sum is {eval}`f"{z:.4g}"```. The expression is Python, evaluated in
the notebook's kernel at that point of the notebook.

- ``nnbook execute`` (:mod:`nnbook.notebooks`) evaluates every expression after the
  code cells above it have run, and stores the plain-text result in the Markdown
  cell's metadata under ``user_expressions``: the format jupyterlab-myst reads, so a
  learner who opens the stored notebook in JupyterLab sees the numbers at once,
  without running anything.
- The Sphinx extension in this module (listed in ``_config.yml``) replaces each
  ``{eval}`...``` with its stored text before MyST-NB parses the notebook, so the
  book needs no kernel for prose (MyST-NB's own ``eval`` role works only in its
  ``inline`` execution mode, which would bypass the execution cache).
- The pytest plugin in this module re-evaluates every expression while
  ``pytest --nbval`` runs the notebook, and fails when a stored value is stale: the
  same judge as for code-cell outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

EVAL_ROLE = re.compile(r"\{eval\}`([^`\n]+)`")
# A citation written as a Markdown link to a bibliography key, which reads as its
# text in JupyterLab: [McCulloch and Pitts (1943)](#mcculloch1943) (textual) or
# [McCulloch & Pitts, 1943](#mcculloch1943) (parenthetical).
CITATION_LINK = re.compile(r"\[([^\]\n]+)\]\(#([A-Za-z0-9_:.-]+)\)")
TEXTUAL = re.compile(r"\(\d{4}[a-z]?\)$")
METADATA_KEY = "user_expressions"
_QUOTES = re.compile(r"^([\"'])(.*)\1$", re.DOTALL)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~])")


def expressions(source: str) -> list[str]:
    """The ``{eval}`` expressions of a Markdown cell's source, each once, in order."""
    return list(dict.fromkeys(EVAL_ROLE.findall(source)))


def plain(result: dict) -> dict:
    """Keep only the text/plain part of a kernel's user-expression result.

    jupyterlab-myst renders text/plain even in an untrusted notebook, and the book
    shows the same text, so both readers see the same characters.
    """
    if result.get("status") == "ok":
        text = result.get("data", {}).get("text/plain", "")
        return {"status": "ok", "data": {"text/plain": text}, "metadata": {}}
    return {
        "status": "error",
        "ename": str(result.get("ename", "Error")),
        "evalue": str(result.get("evalue", "")),
        "traceback": [],
    }


def shown_text(result: dict) -> str:
    """What a reader sees for a stored result: text/plain without its quotes
    (as jupyterlab-myst shows a string's repr)."""
    text = result.get("data", {}).get("text/plain", "")
    return _QUOTES.sub(r"\2", text)


def requests(cell_source: str) -> dict[str, str]:
    """The ``user_expressions`` of an execute request for one Markdown cell's
    ``{eval}`` roles (key -> expression; empty when the cell quotes nothing)."""
    return {str(i): expr for i, expr in enumerate(expressions(cell_source))}


def results(asked: dict[str, str], replies: dict[str, Any]) -> list[dict]:
    """What to store in the cell's metadata, from the kernel's reply to
    :func:`requests`."""
    return [
        {"expression": expr, "result": plain(replies.get(key, {}))}
        for key, expr in asked.items()
    ]


def evaluate(
    run: Callable[[dict[str, str]], dict[str, Any]], cell_source: str
) -> list[dict]:
    """Evaluate the expressions of one Markdown cell with ``run``.

    ``run`` sends an execute request with these ``user_expressions`` and returns
    the reply's ``user_expressions``. Returns the list to store in the cell's
    metadata (empty when the cell quotes nothing).
    """
    asked = requests(cell_source)
    return results(asked, run(asked)) if asked else []


def blocking_runner(client, timeout: float = 60) -> Callable[[dict], dict]:
    """A ``run`` function for :func:`evaluate` over a blocking kernel client."""

    def run(user_expressions: dict[str, str]) -> dict:
        msg_id = client.execute(
            "", silent=True, store_history=False, user_expressions=user_expressions
        )
        while True:
            reply = client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"].get("user_expressions", {})

    return run


def stored(cell: dict) -> dict[str, dict]:
    """The stored results of a Markdown cell, by expression."""
    items = cell.get("metadata", {}).get(METADATA_KEY, [])
    if not isinstance(items, list):
        return {}
    return {
        item["expression"]: item["result"]
        for item in items
        if isinstance(item, dict) and "expression" in item and "result" in item
    }


def problems(cell: dict, fresh: list[dict]) -> list[str]:
    """How the stored results of ``cell`` differ from ``fresh`` ones (empty if none)."""
    old = stored(cell)
    found = []
    for item in fresh:
        expr, result = item["expression"], item["result"]
        if result["status"] != "ok":
            found.append(
                f"{{eval}}`{expr}` raised {result['ename']}: {result['evalue']}"
            )
        elif expr not in old:
            found.append(f"{{eval}}`{expr}` has no stored value")
        elif shown_text(old[expr]) != shown_text(result):
            found.append(
                f"{{eval}}`{expr}` is stored as {shown_text(old[expr])!r} but now "
                f"evaluates to {shown_text(result)!r}"
            )
    return found


def substitute(source: str, cell: dict, where: str, warn: Callable[[str], None]) -> str:
    """``source`` with each ``{eval}`` role replaced by its stored text (Markdown-
    escaped); a missing or failed value is reported through ``warn``."""
    results = stored(cell)

    def replace(match: re.Match) -> str:
        expr = match.group(1)
        result = results.get(expr)
        if result is None or result.get("status") != "ok":
            warn(
                f"{where}: no stored value for {{eval}}`{expr}`; run "
                "`nnbook execute` on the notebook"
            )
            return match.group(0)
        return _MARKDOWN_SPECIAL.sub(r"\\\1", shown_text(result))

    return EVAL_ROLE.sub(replace, source)


def citations(source: str, keys: set[str]) -> str:
    """``source`` with each citation link to a key in ``keys`` turned into the
    sphinxcontrib-bibtex role: ``{cite:t}`` when the text ends with "(year)",
    ``{cite:p}`` otherwise. Links to other anchors are left alone."""

    def replace(match: re.Match) -> str:
        text, key = match.groups()
        if key not in keys:
            return match.group(0)
        role = "cite:t" if TEXTUAL.search(text) else "cite:p"
        return f"{{{role}}}`{key}`"

    return CITATION_LINK.sub(replace, source)


def bibliography_keys(paths: list) -> set[str]:
    """The entry keys of the BibTeX files at ``paths``."""
    keys: set[str] = set()
    for path in paths:
        text = open(path, encoding="utf-8").read()
        keys.update(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.MULTILINE))
    return keys


# ---------------------------------------------------------------------------
# Sphinx: substitute stored values, turn citation links into citations, and drop
# the JupyterLab-only caption cells.


def _source_read(app, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    notebook = json.loads(source[0])
    keys = bibliography_keys(
        [Path(app.srcdir) / name for name in app.config.bibtex_bibfiles]
    )
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        meta = cell.get("metadata", {})
        if meta.get("nnbook", {}).get("role") == "caption":
            continue  # the HTML shows the caption from the figure cell's metadata
        if cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", ""))
            if EVAL_ROLE.search(text):
                cell["source"] = substitute(
                    text,
                    cell,
                    f"{docname}, cell {index}",
                    lambda message: logger.warning(message, location=docname),
                )
            cell["source"] = citations("".join(cell.get("source", "")), keys)
        cells.append(cell)
    notebook["cells"] = cells
    source[0] = json.dumps(notebook)


def setup(app) -> dict:
    """Sphinx entry point (``sphinx.extra_extensions`` in ``_config.yml``)."""
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ---------------------------------------------------------------------------
# pytest: check stored values while nbval runs the notebook.


def markdown_after(notebook, code_cell) -> list:
    """The Markdown cells between ``code_cell`` and the next code cell."""
    cells = notebook.cells
    start = next(i for i, c in enumerate(cells) if c is code_cell) + 1
    found = []
    for cell in cells[start:]:
        if cell.cell_type == "code":
            break
        if cell.cell_type == "markdown":
            found.append(cell)
    return found

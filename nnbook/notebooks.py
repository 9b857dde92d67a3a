"""Execute the course's notebooks in place, the way the stored outputs were made.

Besides the outputs of the code cells, ``nnbook execute`` stores two things that
make a stored notebook read in JupyterLab as it does in the book:

- the values of the ``{eval}`` expressions that the prose quotes, in each Markdown
  cell's ``user_expressions`` metadata (:mod:`nnbook.quoted`);
- a caption cell after each figure: the figure's caption lives in its code cell's
  metadata (``mystnb.figure.caption``), which the HTML book shows under the figure
  but JupyterLab does not, so a generated Markdown cell (metadata
  ``{"nnbook": {"role": "caption"}}``) repeats it there as a MyST ``{figure}`` with
  the figure's label and number, so that ``{numref}`` reads "Figure 1.2" in
  JupyterLab too. The book build drops these cells (:func:`nnbook.quoted.setup`);
- ``jupyter.source_hidden`` on every cell tagged ``hide-input``, so that code the
  book folds is folded in JupyterLab as well.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nnbook import quoted

CAPTION_ROLE = "caption"


class _Client(NotebookClient):
    """nbclient's executor, which also evaluates the prose's quoted numbers."""

    async def async_execute_cell(
        self, cell, cell_index, execution_count=None, store_history=True
    ):
        if cell.cell_type == "markdown":
            asked = quoted.requests(cell.source)
            if asked:
                msg_id = self.kc.execute(
                    "", silent=True, store_history=False, user_expressions=asked
                )
                reply = await self.async_wait_for_reply(msg_id, cell)
                cell.metadata[quoted.METADATA_KEY] = quoted.results(
                    asked, reply["content"].get("user_expressions", {})
                )
                failed = [
                    f"{{eval}}`{item['expression']}`: {item['result']['evalue']}"
                    for item in cell.metadata[quoted.METADATA_KEY]
                    if item["result"]["status"] != "ok"
                ]
                if failed:
                    raise RuntimeError(
                        f"cell {cell_index}: a quoted expression failed: "
                        + "; ".join(failed)
                    )
            else:
                cell.metadata.pop(quoted.METADATA_KEY, None)
            return cell
        return await super().async_execute_cell(
            cell, cell_index, execution_count, store_history
        )


def execute_in_place(path: Path, timeout: int = 300) -> None:
    """Run every cell of the notebook at ``path`` and store its outputs (all chapters).

    The kernel starts in the notebook's folder, as it does on Binder and in the
    book build, and stores widget state so the HTML book can show the widgets.
    Quoted numbers and caption cells are refreshed too (see the module docstring).
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [c for c in notebook.cells if not is_caption_cell(c)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    client = _Client(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,  # timestamps would change the notebook on every run
    )
    started = time.perf_counter()
    client.execute(env=env)
    # How long the notebook takes to run: the book build starts the longest first.
    seconds = max(1, round(time.perf_counter() - started))
    notebook.metadata.setdefault("nnbook", {})["execution_seconds"] = seconds
    failed = [
        f"cell {cell.get('id', index)}: {output.get('ename')}: {output.get('evalue')}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and "raises-exception" not in cell.metadata.get("tags", [])
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    if failed:
        # e.g. a figure that failed to render after its cell ran: nbclient does
        # not raise for errors raised by display hooks, so the notebook would be
        # saved with an error in it
        raise RuntimeError(f"{path}: error output in " + "; ".join(failed))
    if not _has_widgets(notebook):
        notebook.metadata.pop("widgets", None)
    notebook.cells = with_caption_cells(notebook.cells, chapter_number(path))
    sync_folding(notebook.cells)
    nbformat.write(notebook, path)


def sync_folding(cells: list) -> None:
    """Fold in JupyterLab (``jupyter.source_hidden``) exactly the code cells that the
    book folds (tag ``hide-input``)."""
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        jupyter = cell.metadata.get("jupyter", {})
        if "hide-input" in cell.metadata.get("tags", []):
            jupyter["source_hidden"] = True
            cell.metadata["jupyter"] = jupyter
        elif jupyter.pop("source_hidden", None) is not None and not jupyter:
            cell.metadata.pop("jupyter")


def _has_widgets(notebook) -> bool:
    state = notebook.metadata.get("widgets", {})
    return bool(state.get("application/vnd.jupyter.widget-state+json", {}).get("state"))


# ---------------------------------------------------------------------------
# Caption cells for JupyterLab.


def chapter_number(path: Path) -> int | None:
    """The chapter number of ``book/NN_name.ipynb`` (None for chapter 0 and others,
    which the book does not number)."""
    match = re.match(r"^(\d\d)_", Path(path).name)
    number = int(match.group(1)) if match else 0
    return number or None


def is_caption_cell(cell) -> bool:
    """Whether ``cell`` is a generated caption cell."""
    meta = cell.get("metadata", {})
    return cell.get("cell_type") == "markdown" and (
        meta.get("nnbook", {}).get("role") == CAPTION_ROLE
    )


def figure_options(cell) -> dict | None:
    """A code cell's figure metadata (``mystnb.figure``), or None."""
    if cell.get("cell_type") != "code":
        return None
    options = cell.get("metadata", {}).get("mystnb", {}).get("figure")
    return options if isinstance(options, dict) else None


def with_caption_cells(cells: list, chapter: int | None) -> list:
    """``cells`` with one generated caption cell after each captioned figure cell.

    Figures are numbered as the HTML book numbers them: ``N.k`` for the k-th figure
    of chapter N (``numfig_secnum_depth: 1``).
    """
    out = []
    count = 0
    for cell in cells:
        if is_caption_cell(cell):
            continue
        out.append(cell)
        options = figure_options(cell)
        if options is None:
            continue
        count += 1
        caption = str(options.get("caption", "")).strip()
        if not caption:
            continue
        name = str(options.get("name", "")).strip()
        lines = [":::{figure}"]
        if name:
            lines.append(f":label: {name}")
        if chapter:
            lines.append(f":enumerator: {chapter}.{count}")
        lines += ["", caption, ":::"]
        out.append(
            nbformat.v4.new_markdown_cell(
                "\n".join(lines),
                id=f"{cell.get('id', 'cell')}-caption"[:64],
                metadata={"nnbook": {"role": CAPTION_ROLE}},
            )
        )
    return out

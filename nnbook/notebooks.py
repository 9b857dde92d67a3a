"""Execute the course's notebooks in place, the way the stored outputs were made."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute_in_place(path: Path, timeout: int = 300) -> None:
    """Run every cell of the notebook at ``path`` and store its outputs (all chapters).

    The kernel starts in the notebook's folder, as it does on Binder and in the
    book build, and stores widget state so the HTML book can show the widgets.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    env = dict(os.environ, PYTHONHASHSEED="0")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,  # timestamps would change the notebook on every run
    )
    client.execute(env=env)
    if not _has_widgets(notebook):
        notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def _has_widgets(notebook) -> bool:
    state = notebook.metadata.get("widgets", {})
    return bool(state.get("application/vnd.jupyter.widget-state+json", {}).get("state"))

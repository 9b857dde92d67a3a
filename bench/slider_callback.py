"""Time slider callbacks in a running Jupyter kernel, chapter by chapter.

Usage (from the repository root, after `make book` or `make test` set up .venv):

    .venv/bin/python bench/slider_callback.py [book/01_neurons.ipynb ...] [--moves 60]

For each chapter it starts a kernel, runs the notebook's cells, finds every live
figure the chapter made, and then, inside that kernel, moves each slider through
its range the way a reader's drag does: setting the ipywidgets slider's value,
which runs the observer, the chapter's update function and the PNG render that
the image widget shows. It prints the median and 95th percentile per figure.
This is a benchmark, not a test: it asserts nothing and its numbers depend on the
machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the kernel after the chapter: time real widget value changes.
PROBE = r"""
import json as _json, time as _time
import numpy as _np
from nnbook.sliders import LiveFigure as _LiveFigure
_results = []
_seen = set()
for _name, _obj in list(globals().items()):
    # Out[] history entries (_12) are aliases of the named figures
    if not isinstance(_obj, _LiveFigure) or _name.startswith("_") or id(_obj) in _seen:
        continue
    _seen.add(id(_obj))
    _times = []
    for _slider_name, _control in _obj.controls.items():
        _spec = _obj.sliders[_slider_name]
        _values = _np.linspace(_spec.min, _spec.max, {moves})
        for _v in _values:
            _v = round(float(_v) / _spec.step) * _spec.step
            _start = _time.perf_counter()
            _control.value = _v
            _times.append(_time.perf_counter() - _start)
        _control.value = _spec.value
    _ms = _np.array(_times) * 1000
    _results.append({{"figure": _name, "moves": len(_ms),
                      "median_ms": float(_np.median(_ms)),
                      "p95_ms": float(_np.percentile(_ms, 95))}})
print("BENCH" + _json.dumps(_results))
"""


def time_chapter(path: Path, moves: int) -> list[dict]:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE.format(moves=moves)))
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for output in notebook.cells[-1].outputs:
        text = output.get("text", "")
        if text.startswith("BENCH"):
            return json.loads(text[len("BENCH"):])
    raise RuntimeError(f"{path}: the timing cell printed nothing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--moves", type=int, default=60, help="values per slider")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    print(f"{'chapter':<28} {'figure':<24} {'moves':>6} {'median ms':>10} {'p95 ms':>8}")
    for path in paths:
        for row in time_chapter(path, args.moves):
            print(
                f"{path.stem:<28} {row['figure']:<24} {row['moves']:>6} "
                f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

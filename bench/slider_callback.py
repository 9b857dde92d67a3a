"""Time slider callbacks in a running Jupyter kernel, chapter by chapter.

Usage (from the repository root, after `make book` or `make test` set up .venv):

    .venv/bin/python bench/slider_callback.py [book/01_neurons.ipynb ...] [--moves 60]
        [--baseline-moves 20] [--static]

For each chapter it starts a kernel, runs the notebook's cells, finds every live
figure the chapter made, and then, inside that kernel, moves each slider through
its range the way a reader's drag does: setting the ipywidgets slider's value,
which runs the observer, the chapter's update function and the PNG render that
the image widget shows. It prints the median and 95th percentile per figure.

With ``--baseline-moves N`` it also times, in the same kernel and interleaved with
those moves, the common pattern the live figures replace: ``ipywidgets.interactive``
around a function that rebuilds the same chapter figure from scratch (the code of
the chapter cell that made it, from its ``fig = ...`` line on) and shows it with
``plt.show()``, which the inline backend renders with ``bbox_inches="tight"``.

With ``--static`` it also times, in that kernel, what a book build adds per live
figure: drawing its precomputed pictures and writing their HTML
(:mod:`nnbook.static_sliders`), with the number of pictures and their bytes.

This is a benchmark, not a test: it asserts nothing and its numbers depend on the
machine. ``python -m bench`` (bench/run.py) reuses these functions.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the kernel after the chapter: the functions below do the timing.
PROBE = """
import json as _json, sys as _sys
_sys.path.insert(0, {root!r})
from bench.slider_callback import time_live_figures as _time_live_figures
print("BENCH" + _json.dumps(_time_live_figures(globals(), {moves}, {cells!r},
                                               {baseline_moves}, static={static})))
"""


# -- inside the kernel --------------------------------------------------------


def slider_values(spec, moves: int) -> list[float]:
    """Up to ``moves`` distinct values across a slider's range, on its step grid,
    in order, as a drag gives (a repeated value would fire no change at all)."""
    import numpy as np

    values = np.linspace(spec.min, spec.max, moves)
    return list(dict.fromkeys(round(float(v) / spec.step) * spec.step for v in values))


def percentiles(times_s: list[float]) -> dict:
    """Median and 95th percentile of ``times_s`` (seconds), in milliseconds."""
    import numpy as np

    ms = np.asarray(times_s) * 1000
    return {
        "moves": int(len(ms)),
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
    }


def replot_function(source: str, namespace: dict):
    """The interact-style baseline for one live figure: ``replot(**values)``.

    ``source`` is the chapter cell that built the figure. Its statements before
    the first one that assigns ``fig`` prepare data and run once, here; the rest
    (figure creation, artists, the ``update`` function) runs from scratch on every
    call, with ``live_figure(fig, update, ...)`` replaced by ``update(**values)``,
    and ends with ``plt.show()``: what a chapter written with ``interact`` does.
    """
    import matplotlib.pyplot as plt

    body = ast.parse(source).body
    while body and isinstance(body[-1], ast.Expr):  # the cell's display line
        body = body[:-1]
    start = next((i for i, node in enumerate(body) if _assigns(node, "fig")), 0)
    setup = compile(ast.Module(body[:start], type_ignores=[]), "<setup>", "exec")
    figure = compile(ast.Module(body[start:], type_ignores=[]), "<replot>", "exec")
    base = dict(namespace)  # a copy: the chapter's own variables stay untouched
    exec(setup, base)

    def replot(**values):
        scope = dict(base)
        scope["live_figure"] = lambda fig, update, *args, **kwargs: update(**values)
        before = set(plt.get_fignums())
        exec(figure, scope)
        show([n for n in plt.get_fignums() if n not in before])

    def show(new_figures):
        if "inline" in plt.get_backend():
            plt.show()  # display(fig): print_figure(fig, "png", bbox_inches="tight")
        else:  # outside a kernel (tests): the same call the inline backend makes,
            # on the figures this re-plot made and no others
            from IPython.core.pylabtools import print_figure

            for number in new_figures:
                print_figure(plt.figure(number), "png", bbox_inches="tight")
                plt.close(number)

    return replot


def _assigns(node: ast.stmt, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else []
    return any(
        isinstance(n, ast.Name) and n.id == name
        for target in targets
        for n in ast.walk(target)
    )


def time_static(live) -> dict:
    """What a book build spends on one live figure's precomputed pictures."""
    from nnbook import static_sliders

    wall, cpu = time.perf_counter(), time.process_time()
    plan, pictures = static_sliders.render(live)
    html = static_sliders.static_html(live, (plan, pictures))
    return {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "pictures": plan.size(),
        "html_bytes": len(html),
        "mode": plan.mode,
        "steps": {axis.name: axis.step for axis in plan.axes},
    }


def time_live_figures(
    namespace: dict,
    moves: int,
    cells: dict | None = None,
    baseline_moves: int = 0,
    static: bool = False,
) -> list[dict]:
    """Time every live figure in ``namespace`` (a kernel's ``globals()``).

    Each slider is set to ``moves`` values across its range, through the
    ipywidgets control, so the timing covers the observer, the update function,
    the render and the widget message. With ``baseline_moves`` and the figure's
    cell source in ``cells`` (name -> source), an ``ipywidgets.interactive`` built
    on :func:`replot_function` is moved too, every few of those moves, in the
    same loop so that both see the same machine load. ``static``: also time the
    figure's precomputed pictures (:func:`time_static`). One dict per figure.
    """
    import ipywidgets as widgets

    from nnbook.sliders import LiveFigure

    cells = cells or {}
    results = []
    seen: set[int] = set()
    for name, obj in list(namespace.items()):
        # Out[] history entries (_12) are aliases of the named figures
        if not isinstance(obj, LiveFigure) or name.startswith("_") or id(obj) in seen:
            continue
        seen.add(id(obj))
        baseline = None
        if baseline_moves and name in cells:
            replot = replot_function(cells[name], namespace)
            controls = {
                slider: widgets.FloatSlider(
                    value=spec.value, min=spec.min, max=spec.max, step=spec.step
                )
                for slider, spec in obj.sliders.items()
            }
            baseline = widgets.interactive(replot, **controls)
            knobs = {w._kwarg: w for w in baseline.kwargs_widgets}
        ours, theirs = [], []
        total = moves * len(obj.controls)
        every = max(1, total // baseline_moves) if baseline else 0
        count = 0
        for slider, control in obj.controls.items():
            spec = obj.sliders[slider]
            for value in slider_values(spec, moves):
                if value == control.value:
                    continue
                start = time.perf_counter()
                control.value = value
                ours.append(time.perf_counter() - start)
                if baseline is not None and count % every == 0:
                    start = time.perf_counter()
                    knobs[slider].value = value
                    theirs.append(time.perf_counter() - start)
                count += 1
            control.value = spec.value
            if baseline is not None:
                knobs[slider].value = spec.value
        row = {"figure": name, "sliders": len(obj.controls), **percentiles(ours)}
        if theirs:
            row["baseline"] = percentiles(theirs)
            row["baseline"]["pattern"] = (
                "ipywidgets.interactive + rebuild figure + plt.show() "
                f"(backend {_backend()})"
            )
            baseline.close()
        if static:
            row["static"] = time_static(obj)
        results.append(row)
    return results


def _backend() -> str:
    import matplotlib

    return matplotlib.get_backend().rsplit(".", 1)[-1]


# -- outside the kernel -------------------------------------------------------


def figure_cells(notebook) -> dict[str, str]:
    """Name -> source of each cell that assigns ``name = live_figure(...)``."""
    cells = {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or "live_figure" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "live_figure"
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        cells[target.id] = cell.source
    return cells


def time_chapter(
    path: Path,
    moves: int,
    baseline_moves: int = 0,
    timeout: int = 900,
    static: bool = False,
) -> list[dict]:
    """Run the chapter in a fresh kernel, then time its sliders there."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    probe = PROBE.format(
        root=str(ROOT),
        moves=moves,
        cells=figure_cells(notebook),
        baseline_moves=baseline_moves,
        static=static,
    )
    notebook.cells.append(nbformat.v4.new_code_cell(probe))
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute()
    text = "".join(
        o.get("text", "")
        for o in notebook.cells[-1].outputs
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
    for line in text.splitlines():
        if line.startswith("BENCH"):
            return json.loads(line[len("BENCH") :])
    raise RuntimeError(f"{path}: the timing cell printed nothing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--moves", type=int, default=60, help="values per slider")
    parser.add_argument(
        "--baseline-moves",
        type=int,
        default=0,
        help="interact + re-plot changes per figure (0: none)",
    )
    parser.add_argument(
        "--static",
        action="store_true",
        help="also time each figure's precomputed pictures for the book",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    print(
        f"{'chapter':<28} {'figure':<24} {'moves':>6} {'median ms':>10} {'p95 ms':>8}"
        + (f" {'re-plot median ms':>18} {'ratio':>6}" if args.baseline_moves else "")
        + (f" {'book pictures':>13} {'KB':>5} {'cpu s':>6}" if args.static else "")
    )
    for path in paths:
        rows = time_chapter(path, args.moves, args.baseline_moves, static=args.static)
        for row in rows:
            line = (
                f"{path.stem:<28} {row['figure']:<24} {row['moves']:>6} "
                f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}"
            )
            if "baseline" in row:
                base = row["baseline"]["median_ms"]
                line += f" {base:>18.1f} {base / row['median_ms']:>6.1f}"
            if "static" in row:
                book = row["static"]
                line += (
                    f" {book['pictures']:>13} {book['html_bytes'] / 1000:>5.0f}"
                    f" {book['cpu_seconds']:>6.1f}"
                )
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

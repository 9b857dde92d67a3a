"""Sliders that still move in the built HTML book, with no kernel behind them.

When the book is built (the Sphinx extension :mod:`nnbook.offline` sets
``NNBOOK_STATIC_FRAMES=1`` for HTML builds), a live
figure (:mod:`nnbook.sliders`) also offers a ``text/html`` rendering: the figure
precomputed over a few values of each slider, native ``<input type="range">``
controls, and a few lines of JavaScript that swap in the matching frame. The
book's HTML build prefers that rendering to the widget (``nb_mime_priority_overrides``
in ``_config.yml``); JupyterLab, Binder and Colab keep the live widget. Without the
variable nothing changes, so committed notebooks stay small and nbval compares the
same outputs as before.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import os

import numpy as np

ENV_VAR = "NNBOOK_STATIC_FRAMES"
MAX_FRAMES = 125  # per figure: 9 values for one slider, 9x9 for two, 5x5x5 for three
MAX_VALUES = 9  # per slider
FRAME_BUDGET = 1_800_000  # bytes of encoded frames per figure; keeps pages under 3 MB
PALETTE_COLORS = 128  # adaptive palette: sharp text and lines, a fifth of the bytes

_SCRIPT = """(function () {
  var root = document.currentScript.parentElement;
  var json = root.querySelector("script[type='application/json']");
  var data = JSON.parse(json.textContent);
  var image = root.querySelector("img");
  var inputs = Array.prototype.slice.call(root.querySelectorAll("input[type=range]"));
  function show(moved) {
    var flat = 0, parts = [];
    inputs.forEach(function (input, i) {
      // sweep: one slider moves at a time, the others go back to their start
      if (data.mode === "sweep" && i !== moved) input.value = data.starts[i];
      var k = Number(input.value), text = data.labels[i][k];
      flat = flat * data.labels[i].length + k;
      input.setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + input.id + "']").textContent = text;
      parts.push(data.names[i] + " = " + text);
    });
    var frame = data.mode === "sweep"
      ? data.index[moved][Number(inputs[moved].value)] : data.index[flat];
    image.src = data.frames[frame];
    image.alt = data.description + " (" + parts.join(", ") + ")";
  }
  inputs.forEach(function (input, i) {
    input.addEventListener("input", function () { show(i); });
  });
})();"""

_counter = itertools.count()


def enabled() -> bool:
    """Whether live figures should add their static HTML rendering (book builds)."""
    return os.environ.get(ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")


def values_per_slider(count: int) -> int:
    """How many values each of ``count`` sliders gets, so frames stay few."""
    return max(2, min(MAX_VALUES, math.floor(MAX_FRAMES ** (1 / count) + 1e-9)))


def slider_values(slider, count: int, current: float) -> list[float]:
    """``count`` values spread over the slider's range, always including ``current``."""
    grid = slider.grid()
    if len(grid) <= count:
        values = list(grid)
    else:
        values = list(grid[np.linspace(0, len(grid) - 1, count).round().astype(int)])
    values = [float(v) for v in values]
    if not any(math.isclose(v, current, abs_tol=1e-9) for v in values):
        # Swap out the nearest interior value so both ends of the range stay.
        interior = range(1, len(values) - 1) if len(values) > 2 else range(len(values))
        nearest = min(interior, key=lambda i: abs(values[i] - current))
        values[nearest] = float(current)
        values.sort()
    return values


def palette_png(pixels: np.ndarray) -> bytes:
    """RGB pixels as a palette PNG: lossless-looking, several times smaller."""
    from PIL import Image

    palette = Image.fromarray(pixels).quantize(
        colors=PALETTE_COLORS,
        method=Image.Quantize.FASTOCTREE,
        dither=Image.Dither.NONE,
    )
    buffer = io.BytesIO()
    palette.save(buffer, format="png", compress_level=6)
    return buffer.getvalue()


def _nearest(values: list[float], value: float) -> int:
    return min(range(len(values)), key=lambda i: abs(values[i] - value))


def _label(value: float) -> str:
    return f"{value:g}"


def _combinations(mode: str, value_lists: list[list[float]], starts: list[int]):
    """Slider value combinations to render, and how the page finds each frame.

    ``grid``: every combination, in row-major order. ``sweep``: one slider at a
    time over its values, the others at their start; ``layout[i][k]`` is the
    position of slider ``i`` at its ``k``-th value.
    """
    if mode == "grid":
        combos = list(itertools.product(*value_lists))
        return combos, list(range(len(combos)))
    base = [values[start] for values, start in zip(value_lists, starts, strict=True)]
    combos, layout = [], []
    for i, values in enumerate(value_lists):
        layout.append([])
        for value in values:
            layout[-1].append(len(combos))
            combos.append(tuple(base[:i] + [value] + base[i + 1 :]))
    return combos, layout


def _frames(live, combos):
    """Render each combination; identical frames are stored once.

    Returns the frames (data URIs), the frame number of each combination, and
    the frames' total size in bytes.
    """
    names = list(live.sliders)
    frames: list[str] = []
    seen: dict[bytes, int] = {}
    numbers: list[int] = []
    size = 0
    try:
        for combination in combos:
            live.redraw(dict(zip(names, combination, strict=True)))
            png = palette_png(live.renderer.pixels())
            if png not in seen:
                seen[png] = len(frames)
                frames.append("data:image/png;base64," + base64.b64encode(png).decode())
                size += len(frames[-1])
            numbers.append(seen[png])
    finally:  # leave the figure as the sliders say, for the widget
        live.redraw(live.values)
    return frames, numbers, size


def _nest(layout, numbers):
    if isinstance(layout[0], list):
        return [[numbers[j] for j in row] for row in layout]
    return [numbers[j] for j in layout]


def static_html(live) -> str:
    """The live figure as self-contained HTML: frames, range inputs, a little JS.

    Each slider steps through a handful of its values (:func:`values_per_slider`),
    always including its current value; fewer values are used when the frames
    would exceed :data:`FRAME_BUDGET`.
    """
    names = list(live.sliders)
    count = values_per_slider(len(names))
    # Up to four sliders: every combination of at least 3 values each. More: each
    # slider sweeps its values on its own, so every slider still changes the figure.
    mode = "grid" if count >= 3 else "sweep"
    if mode == "sweep":
        count = MAX_VALUES
    while True:
        value_lists = [
            slider_values(live.sliders[name], count, live.values[name])
            for name in names
        ]
        starts = [
            _nearest(values, live.values[name])
            for values, name in zip(value_lists, names, strict=True)
        ]
        combos, layout = _combinations(mode, value_lists, starts)
        frames, numbers, size = _frames(live, combos)
        if size <= FRAME_BUDGET or count <= 2:
            break
        count -= 1
    index = _nest(layout, numbers)
    labels = [[_label(v) for v in values] for values in value_lists]
    if mode == "grid":
        flat = 0
        for values, start in zip(value_lists, starts, strict=True):
            flat = flat * len(values) + start
        first = index[flat]
    else:
        first = index[0][starts[0]]
    digest = hashlib.sha1(f"{live.description}{names}".encode()).hexdigest()[:8]
    uid = f"nnbook-live-{digest}-{next(_counter)}"
    current = ", ".join(
        f"{name} = {labels[i][starts[i]]}" for i, name in enumerate(names)
    )
    alt = f"{live.description} ({current})"

    from PIL import Image

    width, height = Image.open(
        io.BytesIO(base64.b64decode(frames[first].split(",", 1)[1]))
    ).size
    controls = []
    for i, name in enumerate(names):
        input_id = f"{uid}-{i}"
        controls.append(
            f'<span style="display:inline-flex;align-items:center;gap:0.4em;'
            f'margin-right:1.2em">'
            f'<label for="{input_id}">{html.escape(name)}</label>'
            f'<input type="range" id="{input_id}" min="0" max="{len(labels[i]) - 1}" '
            f'step="1" value="{starts[i]}" aria-valuetext="{labels[i][starts[i]]}">'
            f'<output for="{input_id}" style="min-width:3em">{labels[i][starts[i]]}'
            f"</output></span>"
        )
    data = {
        "mode": mode,
        "starts": starts,
        "names": names,
        "labels": labels,
        "frames": frames,
        "index": index,
        "description": live.description,
    }
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    counts = sorted({len(v) for v in labels})
    steps = " / ".join(str(len(v)) for v in labels) if len(counts) > 1 else counts[0]
    note = (
        f"Precomputed pictures: the sliders step through {steps} values."
        if mode == "grid"
        else f"Precomputed pictures: each slider steps through {steps} values "
        "while the others return to their starting values."
    )
    return (
        f'<div class="nnbook-live-figure" id="{uid}">'
        f'<div class="nnbook-live-controls" role="group" '
        f'aria-label="sliders for: {html.escape(live.description)}">'
        + "".join(controls)
        + "</div>"
        f'<img src="{frames[first]}" alt="{html.escape(alt)}" width="{width}" '
        f'height="{height}" style="max-width:100%;height:auto">'
        f'<p class="nnbook-live-note" style="font-size:0.85em;margin:0">'
        f"{note} Run the notebook (launch buttons at the top) to move them freely.</p>"
        f'<script type="application/json">{payload}</script>'
        f"<script>{_SCRIPT}</script>"
        "</div>"
    )

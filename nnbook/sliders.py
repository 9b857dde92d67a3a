"""Live figures: sliders that redraw one matplotlib figure in place.

A chapter builds its figure once, writes a small ``update(**values)`` function
that moves the existing artists (``line.set_data``, ``image.set_data``, ...), and
hands both to :func:`live_figure`. Each slider move calls ``update`` and swaps the
new PNG into a single image widget, so nothing flickers and no figures pile up.
When ``update`` returns a short string, it is the figure's outcome ("AND: 4/4
right"): shown under the figure and read out by screen readers. In the built book
the same figure moves with precomputed pictures (:mod:`nnbook.static_sliders`).
"""

from __future__ import annotations

import html
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import matplotlib.axis as maxis
import matplotlib.pyplot as plt
import matplotlib.text as mtext
import numpy as np
from threadpoolctl import ThreadpoolController

from nnbook import static_sliders


@dataclass(frozen=True)
class Slider:
    """A slider's range: ``Slider(min, max, step, value)``."""

    min: float
    max: float
    step: float
    value: float

    def __post_init__(self) -> None:
        if not self.min < self.max:
            raise ValueError(
                f"slider min must be below max, got {self.min} >= {self.max}"
            )
        if not self.step > 0:
            raise ValueError(f"slider step must be positive, got {self.step}")
        if not self.min <= self.value <= self.max:
            raise ValueError(
                f"slider start value {self.value} lies outside [{self.min}, {self.max}]"
            )

    def grid(self) -> np.ndarray:
        """Every value the slider can take."""
        count = int(round((self.max - self.min) / self.step)) + 1
        return np.round(np.linspace(self.min, self.max, count), 10)


class FigureRenderer:
    """Renders a figure to PNG again and again, redrawing only what changed.

    A full Agg draw spends most of its time laying out tick labels, which a
    slider move rarely changes. After each ``update`` the renderer asks
    matplotlib which artists went stale, redraws just those (and whatever sits
    above them in the same axes) over a saved background, and falls back to a
    full draw when anything else changed: axis limits, ticks, or a new artist.
    Unchanged artists with text that sit above a changed one (a legend over moving
    lines) are drawn once, alone, at each full draw and then blended in as pixels
    on every update, with Agg's own blending arithmetic: laying out and rendering
    their text again would cost more than the rest of the redraw.
    The pixels are the same either way (to within a level of rounding where a
    translucent cached artist overlaps itself); ``tests/test_sliders.py`` checks
    that.
    """

    def __init__(self, fig) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.layer: list = []  # the artists redrawn on every update, in draw order
        self.cached: dict = {}  # unchanged artists of the layer -> their pixels
        self.background = None
        self.limits = None
        self.size = None  # the canvas's pixels and dpi at the last full draw

    def mark_clean(self) -> None:
        """Forget earlier changes; call just before the figure's update function."""
        for unit in self._units():
            for artist in unit.findobj():
                artist.stale = False

    def _units(self):
        """The top-level artists of the figure and its axes, except axes and axis.

        Axis objects are left out: listing their children recomputes the ticks,
        which is the cost this class exists to avoid. Tick changes follow from
        limit changes, which :meth:`_changed_units` watches instead.
        """
        for container in self._containers():
            patch = getattr(container, "patch", None)
            for child in container.get_children():
                if child in self.fig.axes or child is patch:
                    continue
                if not isinstance(child, maxis.Axis):
                    yield child

    def draw(self) -> None:
        """Bring the canvas up to date with the figure, redrawing what changed."""
        changed = self._changed_units()
        if (
            self.background is None
            or changed is None
            or not changed <= set(self.layer)
            or not changed.isdisjoint(self.cached)  # a cached artist changed
            or self.size != self._size()
        ):
            self._full_draw(changed or set())
        else:
            self.canvas.restore_region(self.background)
            self._draw_layer()

    def pixels(self) -> np.ndarray:
        """The canvas as it was last drawn: RGB, shape (height, width, 3)."""
        return np.asarray(self.canvas.buffer_rgba())[..., :3]  # opaque: drop alpha

    def png(self, level: int = 1) -> bytes:
        """The canvas as last drawn, as PNG; ``level`` is the zlib compression."""
        return _png(np.asarray(self.canvas.buffer_rgba()), level)

    def _size(self) -> tuple:
        renderer = self.canvas.get_renderer()
        return renderer.width, renderer.height, renderer.dpi

    def _draw_layer(self) -> None:
        """Draw the layer over the restored background, cached artists as pixels."""
        canvas = None
        for artist in self.layer:
            if artist in self.cached:
                if canvas is None:
                    canvas = np.asarray(self.canvas.buffer_rgba()).reshape(-1, 4)
                _blend(canvas, *self.cached[artist])
            else:
                self.fig.draw_artist(artist)

    def _cache(self, artist):
        """``artist`` drawn alone on a transparent canvas: the covered pixels (flat
        indices), their colours and alphas; None if it covers none."""
        from matplotlib.backends.backend_agg import RendererAgg

        canvas = self.canvas.get_renderer()
        alone = RendererAgg(canvas.width, canvas.height, canvas.dpi)  # transparent
        artist.draw(alone)
        rgba = np.asarray(alone.buffer_rgba()).reshape(-1, 4)
        where = np.flatnonzero(rgba[:, 3])
        if not len(where):
            return None
        colour = rgba[where].astype(np.int64)
        return where, colour[:, :3], colour[:, 3:]

    def _containers(self):
        return [self.fig, *self.fig.axes]

    def _changed_units(self) -> set | None:
        """Top-level artists holding a stale artist; None if a full draw is needed."""
        limits = [tuple(ax.viewLim.bounds) for ax in self.fig.axes]
        if self.limits is not None and limits != self.limits:
            return None
        units = {unit for unit in self._units() if any(a.stale for a in unit.findobj())}
        if not units:
            return None
        return units

    def _full_draw(self, changed: set) -> None:
        # The layer: every changed artist and, within its container, every artist
        # drawn above it, so that what should cover the changed artist still does.
        layer = []
        for container in self._containers():
            children = [
                c
                for c in container.get_children()
                if c not in self.fig.axes and c is not getattr(container, "patch", None)
            ]
            moving = [c for c in children if c in changed]
            if moving:
                lowest = min(c.get_zorder() for c in moving)
                above = [
                    c
                    for c in children
                    if c.get_zorder() >= lowest and (c in changed or _covers_plot(c))
                ]
                layer.extend(sorted(above, key=lambda c: c.get_zorder()))
        for artist in layer:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.size = self._size()
        self.cached = {}
        for artist in layer:
            artist.set_animated(False)
            # above a changed artist but unchanged itself, and slow to draw again
            if artist not in changed and _has_text(artist):
                self.cached[artist] = self._cache(artist)
        # an unchanged artist that draws nothing (an empty title) needs no place
        self.layer = [a for a in layer if self.cached.get(a, True) is not None]
        self.cached = {a: pixels for a, pixels in self.cached.items() if pixels}
        self._draw_layer()
        self.limits = [tuple(ax.viewLim.bounds) for ax in self.fig.axes]


def _has_text(artist) -> bool:
    """Whether ``artist`` draws text: rendering glyphs is what makes a legend or a
    tick label slow to draw again; a line or a spine is quicker drawn than blended."""
    return any(
        isinstance(a, mtext.Text) and a.get_visible() and a.get_text()
        for a in artist.findobj()
    )


def _blend(canvas: np.ndarray, where, colour, alpha) -> None:
    """Blend cached pixels into ``canvas`` (flat RGBA, (n, 4) uint8) in place.

    The arithmetic is Agg's for matplotlib's plain (not premultiplied) RGBA
    buffer: an opaque pixel is copied, a translucent one blended as
    ``fixed_blender_rgba_plain`` does. A pixel that one part of the cached artist
    covers comes out as drawing the artist again would make it; where its parts
    overlap (text on a translucent legend frame) it may differ by one level.
    """
    pixels = canvas[where].astype(np.int64)
    below = pixels[:, 3:]
    premultiplied = pixels[:, :3] * below
    total = ((alpha + below) << 8) - alpha * below
    safe = np.maximum(total, 1)  # alpha 0 on alpha 0: nothing to blend
    pixels[:, :3] = (
        ((colour << 8) - premultiplied) * alpha + (premultiplied << 8)
    ) // safe
    pixels[:, 3:] = total >> 8
    opaque = alpha[:, 0] == 255
    pixels[opaque, :3] = colour[opaque]
    pixels[opaque, 3] = 255
    canvas[where] = pixels


def _png(rgba: np.ndarray, level: int) -> bytes:
    """An opaque RGBA image, (height, width, 4) uint8, as PNG bytes (RGB).

    Rows are stored unfiltered: for these figures, mostly flat colour, zlib alone
    compresses them nearly as well as PNG's adaptive filters, in half the time.
    """
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter 0, RGB
    pixels = rows[:, 1:].reshape(height, width, 3)
    assert np.shares_memory(pixels, rows)  # a view: filling it fills the rows
    pixels[...] = rgba[..., :3]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, level))
        + chunk(b"IEND", b"")
    )


def _covers_plot(artist) -> bool:
    """Whether an unchanged artist can overlap what is drawn inside the axes.

    Tick labels sit outside the axes, so an axis without grid lines cannot cover a
    changed artist; skipping it saves most of a redraw.
    """
    if isinstance(artist, maxis.Axis):
        return any(line.get_visible() for line in artist.get_gridlines())
    return True


class LiveFigure:
    """A figure plus sliders; displaying it in a notebook shows both.

    Use :func:`live_figure` to make one. ``set(**values)`` applies slider values
    from code (tests and benchmarks use it) and returns the new PNG bytes;
    ``outcome`` is what ``update`` last returned, if it returned a string.
    """

    def __init__(
        self,
        fig,
        update: Callable[..., str | None],
        sliders: Mapping[str, Slider],
        description: str,
        static: static_sliders.StaticSpec | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.fig = fig
        self.update = update
        self.sliders = dict(sliders)
        self.description = description
        self.static = static or static_sliders.StaticSpec()
        self.values = {name: s.value for name, s in self.sliders.items()}
        # The BLAS and OpenMP libraries loaded by now, which update may use.
        self._threads = ThreadpoolController()
        self.outcome = _outcome(update(**self.values))
        # Lay the figure out once, then freeze it: re-running constrained layout on
        # every slider move would cost more than the redraw itself.
        fig.canvas.draw()
        fig.set_layout_engine("none")
        # The widget shows the figure; keep the inline backend from adding a copy.
        plt.close(fig)
        self.renderer = FigureRenderer(fig)
        self.renderer.draw()
        # Run the update once more so the renderer learns which artists it moves.
        self.redraw(self.values)

        self._syncing = False
        width = f"{round(fig.get_figwidth() * fig.dpi)}px"
        self.image = widgets.Image(value=self.renderer.png(level=6), format="png")
        self.image.layout = widgets.Layout(max_width="100%", width=width)
        self.controls = {}
        for name, s in self.sliders.items():
            control = widgets.FloatSlider(
                value=s.value,
                min=s.min,
                max=s.max,
                step=s.step,
                description=name,
                continuous_update=True,
                readout_format=_readout_format(s.step),
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto", min_width="0"),
            )
            control.observe(self._on_change, names="value")
            self.controls[name] = control
        # A tidy grid: one row for up to three sliders, then rows of two or three.
        columns = {1: 1, 2: 2, 3: 3, 4: 2}.get(len(self.controls), 3)
        # Long names leave no room for the track in a narrow column: fewer columns.
        longest = max(len(name) for name in self.controls)
        if longest >= 10:
            columns = 1
        elif longest >= 6:
            columns = min(columns, 2)
        grid = widgets.GridBox(
            list(self.controls.values()),
            layout=widgets.Layout(
                grid_template_columns=f"repeat({columns}, minmax(0, 1fr))",
                grid_gap="0 1em",
                width=width,
                max_width="100%",
            ),
        )
        rows = []
        self.presets = static_sliders.preset_list(self.static, self.values)
        if self.static.presets:
            buttons = []
            for name, values in self.presets:
                button = widgets.Button(description=name, tooltip=f"set {name}")
                button.on_click(lambda _, values=values: self.set(**values))
                buttons.append(button)
            rows.append(
                widgets.HBox(
                    buttons,
                    layout=widgets.Layout(
                        flex_flow="row wrap", justify_content="center"
                    ),
                )
            )
        self.outcome_line = widgets.HTML(
            self._outcome_html(), layout=widgets.Layout(max_width=width)
        )
        rows += [grid, self.image, self.outcome_line]
        self.widget = widgets.VBox(
            rows, layout=widgets.Layout(align_items="center", width="100%")
        )

    def _outcome_html(self) -> str:
        if not self.outcome:
            return ""
        return (
            '<p style="text-align:center;font-weight:600;margin:0.2em 0">'
            f"{html.escape(self.outcome)}</p>"
        )

    def _on_change(self, change) -> None:
        if not self._syncing:
            self.set(**{change["owner"].description: change["new"]})

    def redraw(self, values: Mapping[str, float]) -> str | None:
        """Run the figure's update with ``values`` and redraw what it changed.

        Returns the outcome string ``update`` gave, if any. Leaves the widget alone:
        :meth:`set` and the static pictures (:mod:`nnbook.static_sliders`) both
        build on it.
        """
        self.renderer.mark_clean()
        # One BLAS thread: a slider's arrays are small, and on a busy machine
        # threads waiting for each other made chapter 8's update several times
        # slower (the products are the same either way).
        with self._threads.limit(limits=1):
            outcome = _outcome(self.update(**values))
        self.renderer.draw()
        return outcome

    def restore(self) -> None:
        """Run the update function with the sliders' values, drawing nothing."""
        with self._threads.limit(limits=1):
            self.update(**self.values)

    def set(self, **values: float) -> bytes:
        """Move sliders to ``values``, redraw, and return the figure's PNG bytes."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise ValueError(
                f"no slider named {sorted(unknown)}; "
                f"this figure has {list(self.sliders)}"
            )
        self.values.update({name: float(v) for name, v in values.items()})
        self.outcome = self.redraw(self.values)
        png = self.renderer.png()
        self.image.value = png
        self.outcome_line.value = self._outcome_html()
        self._syncing = True  # moving the controls from code must not redraw again
        try:
            for name in values:
                self.controls[name].value = self.values[name]
        finally:
            self._syncing = False
        return png

    def __repr__(self) -> str:
        ranges = ", ".join(
            f"{name} in [{s.min:g}, {s.max:g}] (start {s.value:g})"
            for name, s in self.sliders.items()
        )
        return f"Live figure: {self.description}; sliders {ranges}"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # A short, stable text form: it is what nbval compares and what a
        # frontend without widget support shows.
        bundle["text/plain"] = repr(self)
        if static_sliders.enabled():
            # Book builds only: precomputed pictures that move with no kernel; the
            # HTML build prefers text/html to the widget (_config.yml), Jupyter
            # keeps the widget.
            key = tuple(self.values.values())
            if getattr(self, "_static", (None,))[0] != key:  # drawn once per values
                self._static = (key, static_sliders.static_bundle(self))
            bundle.update(self._static[1])
        return bundle


def _outcome(result) -> str | None:
    """The outcome an update function returned: a string, or None."""
    if result is None:
        return None
    if not isinstance(result, str):
        raise TypeError(
            "a live figure's update function may return a short string saying what "
            f"the picture shows (or nothing), got {type(result).__name__}"
        )
    return result.strip() or None


def _readout_format(step: float) -> str:
    """Enough decimals to show every value on the slider's grid."""
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    return f".{max(decimals, 1)}f"


def live_figure(
    fig,
    update: Callable[..., str | None],
    sliders: Mapping[str, Slider | tuple[float, float, float, float]],
    description: str,
    *,
    static: Mapping | None = None,
) -> LiveFigure:
    """Sliders that redraw ``fig`` in place (chapters 1 to 10).

    ``update(**values)`` receives every slider's current value by name and must
    change the figure's existing artists rather than draw new ones. It may return a
    short string saying what the picture shows, e.g. ``"AND: 4/4 right, OR: 3/4,
    XOR: 2/4"``: the notebook shows it under the figure, and the book uses it as the
    picture's alt text and in a live region that screen readers announce.
    ``sliders`` maps a name to ``Slider(min, max, step, value)`` or the same
    four numbers as a tuple. ``description`` says in words what the figure shows.

    ``static`` (optional) shapes the precomputed version in the built book, where
    each slider steps evenly, by the code's step or a coarser round one, through
    pictures drawn in advance. Without it, a figure with up to three sliders (more
    when its pictures are small) gets every combination at the finest steps its
    page's byte budget allows; a bigger figure moves one slider at a time. Keys:

    * ``"presets"``: ``{name: {slider: value, ...}}``, whole parameter sets the
      reader switches between with buttons (sliders left out keep their start
      values; ``{}`` names the start itself). The code's start values come first,
      as "start" unless a preset equals them. The notebook shows the same buttons.
    * ``"vary"``: the one to three sliders that move in the book (every
      combination of their values, for each preset); the others are set by the
      preset and listed under the controls.
    * ``"steps"``: ``{slider: step}``, the book's step for a slider (a whole
      multiple of its step in the code); coarser if the budget demands.
    * ``"budget"``: bytes of pictures in the page for this figure (default: what
      the page has left, at most 700 kB).

    A note under the controls says where the book differs from the notebook. The
    figure is numbered and captioned like any other: put ``mystnb.figure.name`` and
    ``mystnb.figure.caption`` in the code cell's metadata and refer to it with
    ``{numref}``. For example, chapter 2's nine-slider network, whose hidden layer
    the reader picks and whose output bias moves::

        xor_sliders = live_figure(fig, update, ranges, description=...,
            static={"presets": {"XOR network": {},
                                "hidden AND and NOR": {"b1_1": -15, "b1_2": 5}},
                    "vary": ["b2"]})
    """
    if not callable(update):
        raise TypeError(f"update must be a function, got {type(update).__name__}")
    if not sliders:
        raise ValueError("live_figure needs at least one slider")
    specs = {}
    for name, spec in sliders.items():
        if isinstance(spec, Slider):
            specs[name] = spec
        elif isinstance(spec, tuple) and len(spec) == 4:
            specs[name] = Slider(*map(float, spec))
        else:
            raise TypeError(
                f"slider {name!r} must be Slider(min, max, step, value) or a tuple of "
                f"those four numbers, got {spec!r}"
            )
    for name, s in specs.items():
        position = (s.value - s.min) / s.step
        if abs(position - round(position)) > 1e-6:
            raise ValueError(
                f"slider {name!r} starts at {s.value:g}, between its steps of "
                f"{s.step:g} from {s.min:g}; the widget would move it"
            )
    return LiveFigure(
        fig, update, specs, description, static_sliders.parse_static(static, specs)
    )

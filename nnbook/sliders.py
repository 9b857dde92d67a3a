"""Live figures: sliders that redraw one matplotlib figure in place.

A chapter builds its figure once, writes a small ``update(**values)`` function
that moves the existing artists (``line.set_data``, ``image.set_data``, ...), and
hands both to :func:`live_figure`. Each slider move calls ``update`` and swaps the
new PNG into a single image widget, so nothing flickers and no figures pile up.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np


@dataclass(frozen=True)
class Slider:
    """A slider's range: ``Slider(min, max, step, value)``."""

    min: float
    max: float
    step: float
    value: float

    def __post_init__(self) -> None:
        if not self.min < self.max:
            raise ValueError(f"slider min must be below max, got {self.min} >= {self.max}")
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


def render_png(fig) -> bytes:
    """The figure as PNG bytes, with no timestamp so equal figures give equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


class LiveFigure:
    """A figure plus sliders; displaying it in a notebook shows both.

    Use :func:`live_figure` to make one. ``set(**values)`` applies slider values
    from code (tests and benchmarks use it) and returns the new PNG bytes.
    """

    def __init__(
        self,
        fig,
        update: Callable[..., None],
        sliders: Mapping[str, Slider],
        description: str,
    ) -> None:
        import ipywidgets as widgets

        self.fig = fig
        self.update = update
        self.sliders = dict(sliders)
        self.description = description
        self.values = {name: s.value for name, s in self.sliders.items()}
        update(**self.values)
        # Lay the figure out once, then freeze it: re-running constrained layout on
        # every slider move would cost more than the redraw itself.
        fig.canvas.draw()
        fig.set_layout_engine("none")
        plt.close(fig)  # the widget shows the figure; keep the inline backend from adding a copy

        self.image = widgets.Image(value=render_png(fig), format="png")
        self.image.layout.max_width = "100%"
        self.controls = {}
        for name, s in self.sliders.items():
            control = widgets.FloatSlider(
                value=s.value,
                min=s.min,
                max=s.max,
                step=s.step,
                description=name,
                continuous_update=True,
                readout_format=".2f",
            )
            control.observe(self._on_change, names="value")
            self.controls[name] = control
        self.widget = widgets.VBox(
            [widgets.HBox(list(self.controls.values())), self.image]
        )
        self.widget.layout.flex_flow = "column"
        self.widget.children[0].layout.flex_flow = "row wrap"

    def _on_change(self, change) -> None:
        self.set(**{change["owner"].description: change["new"]})

    def set(self, **values: float) -> bytes:
        """Move sliders to ``values``, redraw, and return the figure's PNG bytes."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise ValueError(
                f"no slider named {sorted(unknown)}; this figure has {list(self.sliders)}"
            )
        self.values.update({name: float(v) for name, v in values.items()})
        self.update(**self.values)
        png = render_png(self.fig)
        self.image.value = png
        for name in values:  # keep the slider positions in step when set from code
            if self.controls[name].value != self.values[name]:
                self.controls[name].value = self.values[name]
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
        return bundle


def live_figure(
    fig,
    update: Callable[..., None],
    sliders: Mapping[str, Slider | tuple[float, float, float, float]],
    description: str,
) -> LiveFigure:
    """Sliders that redraw ``fig`` in place (chapters 1 to 10).

    ``update(**values)`` receives every slider's current value by name and must
    change the figure's existing artists rather than draw new ones.
    ``sliders`` maps a name to ``Slider(min, max, step, value)`` or the same
    four numbers as a tuple. ``description`` says in words what the figure shows.
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
    return LiveFigure(fig, update, specs, description)

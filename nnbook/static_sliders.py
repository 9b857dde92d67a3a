"""Sliders that still move in the built HTML book, with no kernel behind them.

When the book is built (the Sphinx extension :mod:`nnbook.offline` sets
``NNBOOK_STATIC_FRAMES=1``), a live figure (:mod:`nnbook.sliders`) also offers a
``text/html`` rendering: the figure precomputed over an even grid of each slider's
values, native ``<input type="range">`` controls that step by that grid's step, and a
few lines of JavaScript that swap in the matching picture. The book's HTML build
prefers that rendering to the widget (``nb_mime_priority_overrides`` in
``_config.yml``); JupyterLab, Binder and Colab keep the live widget. Without the
variable nothing changes, so committed notebooks stay small and nbval compares the
same outputs as before.

How the pictures are chosen (all of it deterministic):

* **Steps.** Each slider that moves in the book steps evenly from its starting value:
  by the code's own step when the byte budget allows, otherwise by a coarser "nice"
  multiple of it (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten), preferring
  steps whose values are round numbers. Sliders with the same range move alike. The
  range input's ``min``, ``max`` and ``step`` are those real values, so the thumb
  moves as the values do.
* **Combinations.** With few sliders every combination is precomputed, so moving
  one slider keeps the others where the reader left them. A figure with many sliders
  names ``presets`` (whole parameter sets) and the two or three sliders that ``vary``
  (``static=`` of :func:`nnbook.sliders.live_figure`); each preset gets its own grid.
  Without that, a figure whose grid does not fit moves one slider at a time.
* **No dead steps.** Pictures are compared by a hash of their quantized pixels. A step
  that leaves the picture unchanged when one slider moves from a preset's start is
  removed: at the end of a range the range is shortened, inside it the step is
  doubled. The page's data counts any such steps left elsewhere in the grid
  (``identical_steps``).
* **Bytes.** Each picture is drawn at twice the figure's resolution (sharp on
  high-density screens) and stored as the pixels that differ from one shared
  background picture, on the figure's 128-colour palette (:class:`Palette`), as
  lossless WebP; a figure's pictures stay within :data:`FIGURE_BUDGET` bytes of
  HTML and a page's within :data:`PAGE_BUDGET`, which keeps every chapter page
  with all it loads under 3 MB (1.5 MB gzipped).
* **Honesty.** A short note under the controls says where the book's version differs
  from the notebook's (coarser steps, shorter ranges, fixed or resetting sliders).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from nnbook import style

ENV_VAR = "NNBOOK_STATIC_FRAMES"
# Pictures are drawn at this multiple of the figure's resolution, as static figures
# are (nnbook.style), and shown at the figure's own size: sharp on 2x screens.
DENSITY = getattr(style, "RENDER_SCALE", 2)
# Bytes of pictures in the HTML: per figure, and for all the figures of one page
# (one notebook, one kernel in a book build). With the theme, MathJax and the
# static figures the heaviest page (chapter 5) then loads about 2.8 MB.
FIGURE_BUDGET = 540_000
PAGE_BUDGET = 780_000
MIN_FIGURE_BUDGET = 200_000
MAX_FRAMES = 120  # pictures drawn per figure at most (build time)
MIN_VALUES = 3  # a slider that moves in the book has at least this many values
# Overlays use an adaptive palette, one per figure (its most frequent colours kept
# exactly, so flat areas show no seam against the background; see Palette): sharp
# text, a fraction of the bytes.
PALETTE_COLORS = 128
# Overlays cover this many pixels around each changed one: a browser scaling the
# overlay blends its edge with transparency, which must fall on unchanged pixels.
MARGIN = 3
SAMPLES = 4  # pictures drawn first to estimate sizes and find the shared background
STATIC_KEYS = ("presets", "vary", "steps", "budget")
NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # even steps are these times a power of ten

_counter = itertools.count()


def enabled() -> bool:
    """Whether live figures should add their static HTML rendering (book builds)."""
    return os.environ.get(ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")


# -- what the chapter asks for --------------------------------------------------


@dataclass(frozen=True)
class StaticSpec:
    """The ``static=`` argument of :func:`~nnbook.sliders.live_figure`, checked.

    ``presets``: name -> slider values (sliders left out keep their start values).
    ``vary``: the sliders that move in the book (None: chosen automatically).
    ``steps``: slider -> the book's step for it (a multiple of the code's step).
    ``budget``: bytes of pictures allowed in the HTML for this figure (None: the
    page's share, see :func:`static_bundle`).
    """

    presets: dict[str, dict[str, float]] = field(default_factory=dict)
    vary: tuple[str, ...] | None = None
    steps: dict[str, float] = field(default_factory=dict)
    budget: int | None = None


def _on_grid(value: float, slider) -> bool:
    """Whether ``value`` is one of the values the live slider can take."""
    position = (value - slider.min) / slider.step
    return slider.min - 1e-9 <= value <= slider.max + 1e-9 and math.isclose(
        position, round(position), abs_tol=1e-6
    )


def _multiple(step: float, base: float) -> bool:
    ratio = step / base
    return ratio >= 1 - 1e-9 and math.isclose(ratio, round(ratio), abs_tol=1e-6)


def parse_static(static: Mapping | None, sliders: Mapping) -> StaticSpec:
    """Check a figure's ``static=`` argument against its sliders; errors say why."""
    if static is None:
        return StaticSpec()
    if not isinstance(static, Mapping):
        raise TypeError(
            f"static must be a dict with keys {', '.join(STATIC_KEYS)}, "
            f"got {type(static).__name__}"
        )
    unknown = sorted(set(static) - set(STATIC_KEYS))
    if unknown:
        raise ValueError(
            f"static has unknown keys {unknown}; allowed: {', '.join(STATIC_KEYS)}"
        )

    def known(name, where):
        if name not in sliders:
            raise ValueError(
                f"static {where} names {name!r}, which is not a slider; "
                f"this figure has {list(sliders)}"
            )

    presets: dict[str, dict[str, float]] = {}
    given = static.get("presets") or {}
    if not isinstance(given, Mapping):
        raise TypeError("static presets must map a preset name to {slider: value}")
    for name, values in given.items():
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"a preset name must be a non-empty string, got {name!r}")
        if not isinstance(values, Mapping):  # {} names the start values
            raise TypeError(f"preset {name!r} must map slider names to values")
        for slider_name, value in values.items():
            known(slider_name, f"preset {name!r}")
            slider = sliders[slider_name]
            if not _on_grid(float(value), slider):
                raise ValueError(
                    f"preset {name!r} sets {slider_name} = {value}, which its slider "
                    f"cannot reach (from {slider.min:g} to {slider.max:g} in steps of "
                    f"{slider.step:g})"
                )
        presets[name] = {k: float(v) for k, v in values.items()}

    vary = static.get("vary")
    if vary is not None:
        if isinstance(vary, str) or not isinstance(vary, Sequence):
            raise TypeError(f"static vary must be a list of slider names, got {vary!r}")
        for name in vary:
            known(name, "vary")
        if len(set(vary)) != len(vary):
            raise ValueError(f"static vary names a slider twice: {list(vary)}")
        vary = tuple(vary)

    steps = {}
    for name, step in (static.get("steps") or {}).items():
        known(name, "steps")
        if not _multiple(float(step), sliders[name].step):
            raise ValueError(
                f"static step for {name} must be a whole multiple of its slider's "
                f"step {sliders[name].step:g}, got {step}"
            )
        steps[name] = float(step)

    budget = static.get("budget")
    if budget is not None and (not isinstance(budget, int) or budget <= 0):
        raise ValueError(f"static budget must be a positive number of bytes: {budget}")
    return StaticSpec(presets, vary, steps, budget)


# -- which values the book shows -------------------------------------------------


@dataclass
class Axis:
    """A slider that moves in the book: its even step and the values it takes."""

    name: str
    step: float
    values: list[float]
    slider: object  # the live Slider

    def position(self, value: float) -> int:
        return min(range(len(self.values)), key=lambda i: abs(self.values[i] - value))

    @property
    def full(self) -> bool:
        """Whether the book's values reach both ends of the live slider's range."""
        return math.isclose(self.values[0], self.slider.min, abs_tol=1e-9) and (
            math.isclose(self.values[-1], self.slider.max, abs_tol=1e-9)
        )


@dataclass
class Plan:
    """Which pictures a figure's static version holds and how the page finds them.

    ``grid``: for each preset, every combination of the axes' values. ``sweep``: one
    axis at a time, the others at their start (figures too big for a grid).
    """

    mode: str
    presets: list[tuple[str, dict[str, float]]]
    axes: list[Axis]
    live: dict  # every slider of the figure, in order: name -> Slider

    @property
    def names(self) -> list[str]:
        return list(self.live)

    @property
    def fixed(self) -> list[str]:
        moving = {axis.name for axis in self.axes}
        return [name for name in self.names if name not in moving]

    def start(self, preset: int) -> list[int]:
        values = self.presets[preset][1]
        return [axis.position(values[axis.name]) for axis in self.axes]

    def values(self, preset: int, point: Sequence[float]) -> dict[str, float]:
        """All slider values at ``point`` (one value per axis) in ``preset``."""
        values = dict(self.presets[preset][1])
        values.update({a.name: v for a, v in zip(self.axes, point, strict=True)})
        return values

    def points(self, preset: int) -> list[tuple[float, ...]]:
        """The axis values pictured for ``preset``, in the order the page indexes."""
        if self.mode == "grid":
            return list(itertools.product(*(a.values for a in self.axes)))
        start = [
            a.values[k] for a, k in zip(self.axes, self.start(preset), strict=True)
        ]
        return [
            tuple(start[:i] + [v] + start[i + 1 :])
            for i, axis in enumerate(self.axes)
            for v in axis.values
        ]

    def size(self) -> int:
        """How many pictures (before identical ones are merged)."""
        return sum(len(self.points(p)) for p in range(len(self.presets)))


def nice_steps(
    slider,
    required: Sequence[float] = (),
    fixed: float | None = None,
    round_only: bool = False,
):
    """Even steps for one slider in the book, finest first.

    Each is a whole multiple of the slider's own step (which always qualifies) of
    the form 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, and divides the
    distances between ``required`` values (the start first, then any presets), so
    all of them lie on the book's grid. Steps whose grid holds round numbers (the
    start is a multiple of the step, as on a ruler) come first; other steps follow
    only where they are coarser than every round one, and not at all with
    ``round_only`` (unless no round grid exists).
    """
    anchor = required[0]
    span = slider.max - slider.min
    candidates = {fixed} if fixed else {slider.step}
    if not fixed:
        for exponent in range(-8, 9):
            for nice in NICE:
                step = round(nice * 10.0**exponent, 12)
                if slider.step < step <= span and _multiple(step, slider.step):
                    candidates.add(step)

    def whole(x):
        return math.isclose(x, round(x), abs_tol=1e-6)

    steps = [
        step
        for step in sorted(candidates)
        if all(whole((v - anchor) / step) for v in required)
    ]
    if fixed:
        return steps
    # Round grids first; other steps only where they are coarser than any round one.
    round_grid = [step for step in steps[1:] if whole(anchor / step)]
    if round_only and round_grid:
        return steps[:1] + round_grid
    coarsest = max(round_grid, default=steps[0])
    return steps[:1] + round_grid + [step for step in steps if step > coarsest]


def even_values(slider, anchor: float, step: float) -> list[float]:
    """``anchor + k * step`` for every whole k that stays in the slider's range."""
    low = math.ceil((slider.min - anchor) / step - 1e-9)
    high = math.floor((slider.max - anchor) / step + 1e-9)
    return [round(anchor + k * step, 10) for k in range(low, high + 1)]


def _groups(
    sliders,
    names,
    presets,
    spec: StaticSpec,
    round_only: bool = False,
    window: bool = False,
    relax: bool = False,
):
    """Moving sliders grouped so that alike sliders move by the same step.

    Sliders with the same range, step and choice of book steps in the code (``w1``
    and ``w2`` starting at 8) form a group. Returns ``[(members, options)]``:
    ``members`` are positions in ``names``; ``options`` is
    ``[(step, [values of each member])]``, finest first, each step giving every
    member at least 2 values. ``window``: each slider's values stop one step beyond
    the lowest and highest of the presets' values for it. ``relax``: a step the
    chapter set may grow to a multiple of itself.
    """
    found_by_name = {}
    for name in names:
        slider = sliders[name]
        required = [values[name] for _, values in presets]
        fixed = spec.steps.get(name)
        steps = nice_steps(slider, required, None if relax else fixed, round_only)
        if relax and fixed:
            steps = [step for step in steps if _multiple(step, fixed)] or [fixed]
        found = {}
        for step in steps:
            values = even_values(slider, required[0], step)
            if window:
                low, high = min(required) - step, max(required) + step
                values = [v for v in values if low - 1e-9 <= v <= high + 1e-9]
            if len(values) >= 2:
                found[step] = values
        if not found:
            raise ValueError(f"slider {name} has no even step through its values")
        found_by_name[name] = found
    keyed: dict[tuple, list[int]] = {}
    for i, name in enumerate(names):
        s = sliders[name]
        key = (s.min, s.max, s.step, tuple(found_by_name[name]))
        keyed.setdefault(key, []).append(i)
    groups = []
    for members in keyed.values():
        per_member = [found_by_name[names[i]] for i in members]
        options = [
            (step, [f[step] for f in per_member]) for step in sorted(per_member[0])
        ]
        groups.append((members, options))
    return groups


def _fit(groups, limit: int, min_values: int) -> list[int] | None:
    """Pick one option per group (index into finest-first lists) for a grid.

    Starts from the coarsest choice giving every slider ``min_values`` values (or
    the finest choice when none does) and refines the group with the fewest values
    while the grid stays within ``limit`` pictures; None if even the start is too
    big.
    """

    def counts(g, k):
        return [len(values) for values in groups[g][1][k][1]]

    choice = []
    for g, (_, options) in enumerate(groups):
        enough = [k for k in range(len(options)) if min(counts(g, k)) >= min_values]
        choice.append(enough[-1] if enough else 0)

    def size(c):
        return math.prod(math.prod(counts(g, k)) for g, k in enumerate(c))

    if size(choice) > limit:
        return None
    while True:
        order = sorted(range(len(groups)), key=lambda g: min(counts(g, choice[g])))
        for g in order:
            if choice[g] > 0:
                finer = choice[:g] + [choice[g] - 1] + choice[g + 1 :]
                if size(finer) <= limit:
                    choice = finer
                    break
        else:
            return choice


def _axes(sliders, names, groups, choice) -> list[Axis]:
    axes: list = [None] * len(names)
    for (members, options), k in zip(groups, choice, strict=True):
        step, value_lists = options[k]
        for i, values in zip(members, value_lists, strict=True):
            axes[i] = Axis(names[i], step, values, sliders[names[i]])
    return axes


def preset_list(spec: StaticSpec, start: Mapping[str, float]):
    """[(name, every slider's value)]: the code's start first, then the presets.

    The start is called "start" unless a preset has exactly its values.
    """
    start = dict(start)
    presets = [(name, {**start, **values}) for name, values in spec.presets.items()]
    if not any(values == start for _, values in presets):
        return [("start", start), *presets]
    return sorted(presets, key=lambda item: item[1] != start)  # stable: order kept


def make_plan(sliders, start: Mapping[str, float], spec: StaticSpec, max_frames: int):
    """Decide the book's presets, moving sliders and their values (no drawing).

    Raises ValueError when the chapter's ``static=`` choice cannot fit even at two
    values per moving slider.
    """
    names = list(sliders)
    presets = preset_list(spec, start)

    if spec.vary is not None:
        vary = list(spec.vary)
    elif spec.presets:
        vary = names if len(names) <= 3 else []
    else:
        vary = names
    if not vary:
        return Plan("grid", presets, [], dict(sliders))
    limit = max(1, max_frames // len(presets))
    explicit = spec.vary is not None or bool(spec.presets)
    # Steps on round grids if they fit, other even steps only if they must, and
    # for a grid of four sliders or more only when the chapter asked for one.
    for round_only in (True, False) if explicit or len(vary) <= 3 else (True,):
        groups = _groups(sliders, vary, presets, spec, round_only)
        choice = _fit(groups, limit, MIN_VALUES)
        if choice is not None:
            break
    if choice is None and explicit:
        # The chapter chose these sliders: rather than not show them, give them
        # fewer values, coarser steps than it asked for, or a shorter range (one
        # step beyond the presets' values), in that order.
        attempts = [
            (False, False, 2),  # any even steps, two values at least
            (False, True, MIN_VALUES),  # coarser than a step the chapter set
            (False, True, 2),
            (True, True, MIN_VALUES),  # over a shorter range
            (True, True, 2),
        ]
        for window, relax, least in attempts:
            groups = _groups(sliders, vary, presets, spec, False, window, relax)
            choice = _fit(groups, limit, least)
            if choice is not None:
                break
        else:
            raise ValueError(
                f"static: {len(presets)} preset(s) x {len(vary)} moving sliders need "
                f"more than {max_frames} pictures even at 2 values each; vary fewer "
                "sliders or give fewer presets"
            )
    if choice is not None:
        return Plan(
            "grid", presets, _axes(sliders, vary, groups, choice), dict(sliders)
        )
    # Too many sliders for a grid: each moves on its own, the others at their start.
    per_slider = max(2, max_frames // len(vary))
    choice = []
    for _, options in groups:
        fitting = [
            k
            for k, (_, lists) in enumerate(options)
            if max(len(values) for values in lists) <= per_slider
        ]
        choice.append(fitting[0] if fitting else len(options) - 1)
    return Plan(
        "sweep", presets[:1], _axes(sliders, vary, groups, choice), dict(sliders)
    )


# -- drawing and storing the pictures ------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """The colours every picture of one live figure is mapped to.

    Half are the figure's most frequent colours, kept exactly (paper, fills, lines:
    an overlay shows no seam against the background), half a median cut of the
    rest (:func:`nnbook.style.adaptive_palette`). Each colour maps to its nearest
    palette colour (RGB distance); a table over all 2^24 colours remembers the
    answer, so a figure's pictures, which share most colours, cost one lookup per
    pixel.
    """

    colors: np.ndarray  # (n, 4) uint8 RGBA, opaque
    nearest: np.ndarray  # RGB word -> place in ``colors``, UNKNOWN until first seen

    UNKNOWN = 255

    @classmethod
    def of(cls, pictures: Sequence[np.ndarray]) -> Palette:
        """The palette of a few of a figure's pictures: (h, w, 4) uint8 arrays."""
        from PIL import Image

        mosaic = np.concatenate([np.ascontiguousarray(p[..., :3]) for p in pictures])
        image = style.adaptive_palette(
            Image.fromarray(mosaic), PALETTE_COLORS, exact=PALETTE_COLORS // 2
        )
        rgb = np.array(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
        colors = np.concatenate([rgb, np.full((len(rgb), 1), 255, np.uint8)], axis=1)
        assert len(colors) < cls.UNKNOWN
        nearest = np.full(1 << 24, cls.UNKNOWN, np.uint8)  # 16 MB, for one figure
        return cls(colors, nearest)

    def map(self, rgba: np.ndarray) -> np.ndarray:
        """Opaque RGBA pixels (h, w, 4) as this palette's colours: RGBA (h, w, 4)."""
        return self.colors[self.places(_words(rgba) & np.uint32(0xFFFFFF))]

    def places(self, words: np.ndarray) -> np.ndarray:
        """The palette place of each RGB word (``R | G << 8 | B << 16``)."""
        places = self.nearest[words]
        new = places == self.UNKNOWN
        if new.any():
            unseen = np.unique(words[new])
            rgb = np.stack([(unseen >> s) & 255 for s in (0, 8, 16)], axis=1)
            ink = self.colors[:, :3].astype(np.int32)
            # first place wins a tie: an exact colour maps to itself
            distance = ((rgb[:, None, :].astype(np.int32) - ink[None]) ** 2).sum(-1)
            self.nearest[unseen] = distance.argmin(axis=1)
            places = self.nearest[words]
        return places


def _median(pictures: Sequence[np.ndarray]) -> np.ndarray:
    """The per-value median of a few uint8 arrays of one shape, as uint8.

    The same values as ``np.median(..., axis=0).astype(np.uint8)`` (the mean of
    the middle two rounded down), from a sorting network of minima and maxima:
    np.median sorts each pixel's handful of values, fifteen times slower.
    """
    rows = [np.asarray(p) for p in pictures]
    for sweep in range(len(rows)):  # odd-even transposition sort
        for i in range(sweep % 2, len(rows) - 1, 2):
            rows[i], rows[i + 1] = (
                np.minimum(rows[i], rows[i + 1]),
                np.maximum(rows[i], rows[i + 1]),
            )
    n = len(rows)
    if n % 2:
        return rows[n // 2]
    low, high = rows[n // 2 - 1], rows[n // 2]
    return ((low.astype(np.uint16) + high) >> 1).astype(np.uint8)


def _webp(image) -> bytes:
    # method 1, effort 0: within 10% of the smallest lossless WebP, 5x faster
    buffer = io.BytesIO()
    image.save(buffer, format="webp", lossless=True, quality=0, method=1)
    return buffer.getvalue()


def _data_uri(data: bytes, kind: str) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def _words(rgba: np.ndarray) -> np.ndarray:
    """One uint32 per pixel of an (h, w, 4) uint8 array, for fast comparison."""
    return np.ascontiguousarray(rgba).view(np.uint32)[..., 0]


def overlay(rgba: np.ndarray, background: np.ndarray, palette: Palette) -> list:
    """The pixels that differ from ``background``: ``[data URI, x, y, w, h]``.

    Both are (h, w, 4) uint8 arrays. The overlay is the smallest box holding every
    changed pixel, mapped to the figure's ``palette``, the unchanged ones in it
    transparent, as lossless WebP; placed at (x, y) over the background it gives
    back ``rgba``.
    """
    from PIL import Image

    changed = _words(rgba) != _words(background)
    rows, cols = (
        np.flatnonzero(changed.any(axis=1)),
        np.flatnonzero(changed.any(axis=0)),
    )
    if not len(rows):  # the background itself: an image needs a pixel at least
        rows, cols = np.array([0]), np.array([0])
    # The box of changed pixels plus the margin, its corners on whole CSS pixels so
    # that the browser scales overlay and background alike.
    top = _snap(max(rows[0] - MARGIN, 0), 0)
    left = _snap(max(cols[0] - MARGIN, 0), 0)
    bottom = min(_snap(rows[-1] + 1 + MARGIN, DENSITY - 1), rgba.shape[0])
    right = min(_snap(cols[-1] + 1 + MARGIN, DENSITY - 1), rgba.shape[1])
    box = np.s_[top:bottom, left:right]
    inside = _grow(changed[box], MARGIN)
    inside[0, 0] |= not changed.any()
    quantized = _words(palette.map(rgba[box]))
    out = np.where(inside, quantized, np.uint32(0))  # 0: transparent
    height, width = out.shape
    image = Image.fromarray(out.view(np.uint8).reshape(height, width, 4), "RGBA")
    return [_data_uri(_webp(image), "webp"), left, top, width, height]


def _snap(pixel, up: int) -> int:
    """``pixel`` rounded down (``up`` = 0) or up to a multiple of ``DENSITY``."""
    return int((pixel + up) // DENSITY * DENSITY)


def _grow(mask: np.ndarray, margin: int) -> np.ndarray:
    """``mask`` widened by ``margin`` pixels in each direction (a square brush)."""
    grown = mask.copy()
    for axis in (0, 1):
        source = grown.copy()
        for shift in range(1, margin + 1):
            ahead = [slice(None), slice(None)]
            behind = [slice(None), slice(None)]
            ahead[axis], behind[axis] = slice(shift, None), slice(None, -shift)
            grown[tuple(ahead)] |= source[tuple(behind)]
            grown[tuple(behind)] |= source[tuple(ahead)]
    return grown


VISIBLE = np.uint32(0xFCFCFCFC)  # the top 6 bits of each channel


def picture_key(rgba: np.ndarray, background: np.ndarray) -> bytes:
    """Equal for pictures a reader cannot tell apart (colours quantized to 6 bits).

    Hashes only the box where ``rgba`` differs visibly from ``background`` (and
    the box's place): outside it both pictures equal the background. A third of
    the time of hashing every pixel.
    """
    words = _words(rgba)
    visible = ((words ^ _words(background)) & VISIBLE) != 0
    rows, cols = (
        np.flatnonzero(visible.any(axis=1)),
        np.flatnonzero(visible.any(axis=0)),
    )
    if not len(rows):
        return b"background"
    box = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)
    crop = words[box[0] : box[1], box[2] : box[3]] & VISIBLE
    digest = hashlib.sha1(np.array(box, np.int64).tobytes())
    digest.update(np.ascontiguousarray(crop).tobytes())
    return digest.digest()


class _Drawer:
    """Draws the live figure at ``DENSITY`` times its resolution, then restores it."""

    def __init__(self, live):
        self.live = live
        self.dpi = live.fig.dpi

    def __enter__(self):
        self._set_dpi(self.dpi * DENSITY)
        return self

    def __exit__(self, *exc):
        self._set_dpi(self.dpi)
        # Leave the figure's artists as the sliders say. No pixels: the canvas
        # changed size, so the next move of a slider draws everything anyway.
        self.live.restore()

    def _set_dpi(self, dpi):
        self.live.fig.set_dpi(dpi)
        self.live.renderer.background = None  # the next draw is a full one

    def draw(self, values: Mapping[str, float]) -> tuple[np.ndarray, str | None]:
        """The figure at ``values``: RGBA pixels, (h, w, 4), and the outcome."""
        outcome = self.live.redraw(values)
        return np.array(self.live.renderer.canvas.buffer_rgba()), outcome


@dataclass
class Pictures:
    """Every picture drawn for a plan, merged when identical."""

    background: np.ndarray  # (h, w, 4) uint8, shown under every overlay
    palette: Palette  # the colours every overlay is mapped to
    frames: list[list] = field(default_factory=list)  # overlays: [uri, x, y, w, h]
    keys: dict[bytes, int] = field(default_factory=dict)  # picture key -> frame
    at: dict[tuple, tuple[int, str]] = field(default_factory=dict)  # (preset, point)

    def frame(self, preset: int, point) -> int:
        return self.at[(preset, tuple(point))][0]

    @functools.cached_property
    def background_uri(self) -> str:
        """The background, exactly (overlays are cut against these pixels)."""
        from PIL import Image

        return _data_uri(_webp(Image.fromarray(self.background[..., :3])), "webp")


def _sample_points(sliders, start, count):
    """The start and ``count - 1`` seeded random points on the sliders' grids."""
    rng = np.random.default_rng(0)
    points = [dict(start)]
    for _ in range(count - 1):
        point = {}
        for name, s in sliders.items():
            point[name] = float(s.grid()[rng.integers(len(s.grid()))])
        points.append(point)
    return points


def _draw_all(drawer: _Drawer, plan: Plan, pictures: Pictures) -> None:
    for p in range(len(plan.presets)):
        for point in plan.points(p):
            if (p, point) not in pictures.at:
                _add(pictures, (p, point), *drawer.draw(plan.values(p, point)))


def _bytes_used(plan: Plan, pictures: Pictures) -> int:
    used = {
        pictures.frame(p, q) for p in range(len(plan.presets)) for q in plan.points(p)
    }
    return sum(len(pictures.frames[i][0]) for i in used)


def _halve(plan: Plan, axis: Axis) -> bool:
    """Double ``axis``'s step, keeping every preset's value; False if it cannot."""
    anchor = plan.presets[0][1][axis.name]
    kept = [v for v in axis.values if round((v - anchor) / axis.step) % 2 == 0]
    if len(kept) < 2 or not _needed(plan, axis) <= {round(v, 9) for v in kept}:
        return False
    axis.values, axis.step = kept, round(axis.step * 2, 12)
    return True


def _needed(plan: Plan, axis: Axis) -> set[float]:
    """The values of ``axis`` that some preset sets (rounded for comparison)."""
    return {round(values[axis.name], 9) for _, values in plan.presets}


def _start_lines(plan: Plan):
    """(preset, axis index, [points]) for each axis moved alone from each preset."""
    for p in range(len(plan.presets)):
        start = [a.values[k] for a, k in zip(plan.axes, plan.start(p), strict=True)]
        for i, axis in enumerate(plan.axes):
            yield p, i, [tuple(start[:i] + [v] + start[i + 1 :]) for v in axis.values]


def dead_steps(plan: Plan, pictures: Pictures, everywhere: bool = False):
    """Steps of one slider that leave the picture unchanged: (preset, axis, k).

    By default only along the lines a reader first moves: each slider alone from
    each preset's start. ``everywhere``: from every pictured point of the grid.
    """
    found = []
    if not everywhere or plan.mode == "sweep":
        for p, i, line in _start_lines(plan):
            frames = [pictures.frame(p, q) for q in line]
            found += [
                (p, i, k) for k in range(len(frames) - 1) if frames[k] == frames[k + 1]
            ]
        return found
    for p in range(len(plan.presets)):
        for point in plan.points(p):
            for i, axis in enumerate(plan.axes):
                k = axis.position(point[i])
                if k + 1 < len(axis.values):
                    nxt = point[:i] + (axis.values[k + 1],) + point[i + 1 :]
                    if pictures.frame(p, point) == pictures.frame(p, nxt):
                        found.append((p, i, k))
    return found


def _remove_dead_steps(plan: Plan, pictures: Pictures) -> None:
    """Shorten ranges or double steps until each first move changes the picture."""
    for _ in range(12):
        dead = dead_steps(plan, pictures)
        if not dead:
            return
        changed = False
        for i in sorted({i for _, i, _ in dead}):
            axis = plan.axes[i]
            needed = _needed(plan, axis)
            ks = {k for _, j, k in dead if j == i}
            last = len(axis.values) - 2
            ends = [round(axis.values[0], 9), round(axis.values[-1], 9)]
            if last in ks and ends[1] not in needed and len(axis.values) > 2:
                axis.values = axis.values[:-1]
                changed = True
            elif 0 in ks and ends[0] not in needed and len(axis.values) > 2:
                axis.values = axis.values[1:]
                changed = True
            elif _halve(plan, axis):
                changed = True
        if not changed:
            return


def _spread(plan: Plan, count: int) -> list[tuple[int, tuple]]:
    """``count`` of the plan's (preset, point) pairs, evenly spread, the start first."""
    pairs = [(p, point) for p in range(len(plan.presets)) for point in plan.points(p)]
    picks = np.linspace(0, len(pairs) - 1, min(count, len(pairs))).round().astype(int)
    first = (
        0,
        tuple(a.values[k] for a, k in zip(plan.axes, plan.start(0), strict=True)),
    )
    return [first] + [pairs[i] for i in picks if pairs[i] != first]


def _add(pictures: Pictures, key: tuple, rgba: np.ndarray, outcome) -> None:
    picture = picture_key(rgba, pictures.background)
    if picture not in pictures.keys:
        pictures.keys[picture] = len(pictures.frames)
        pictures.frames.append(overlay(rgba, pictures.background, pictures.palette))
    pictures.at[key] = (pictures.keys[picture], outcome)


def render(live, spec: StaticSpec | None = None) -> tuple[Plan, Pictures]:
    """Plan and draw the static pictures of ``live`` within its byte budget
    (background included).

    A first plan comes from a few pictures at random slider values; a few of that
    plan's own pictures then give the shared background, the palette and a
    better size estimate, with which the plan is made again.
    """
    spec = spec or live.static
    if spec.budget is None:
        spec = replace(spec, budget=FIGURE_BUDGET)
    with _Drawer(live) as drawer:
        points = _sample_points(live.sliders, live.values, SAMPLES)
        samples = [drawer.draw(v)[0] for v in points]
        rough = _median(samples)
        palette = Palette.of(samples)
        size = np.mean([len(overlay(rgba, rough, palette)[0]) for rgba in samples])
        max_frames = max(2, int(min(MAX_FRAMES, spec.budget // max(size, 1))))
        plan = make_plan(live.sliders, live.values, spec, max_frames)
        probes = {key: drawer.draw(plan.values(*key)) for key in _spread(plan, SAMPLES)}
        background = _median([r for r, _ in probes.values()])
        pictures = Pictures(background, palette)
        budget = max(spec.budget - len(pictures.background_uri), spec.budget // 4)
        for key, (rgba, outcome) in probes.items():
            _add(pictures, key, rgba, outcome)
        size = np.mean([len(frame[0]) for frame in pictures.frames])
        # The better estimate may allow more pictures or fewer: plan again.
        better = max(2, int(min(MAX_FRAMES, budget // size)))
        if better != max_frames:
            plan = make_plan(live.sliders, live.values, spec, better)
        _draw_all(drawer, plan, pictures)
        # Still too big: drop every other value of the slider with the most values,
        # keeping at least MIN_VALUES while any slider has more.
        while _bytes_used(plan, pictures) > budget:
            widest = sorted(plan.axes, key=lambda a: -len(a.values))
            if not any(
                _halve(plan, a) for a in widest if len(a.values) > MIN_VALUES
            ) and not any(_halve(plan, a) for a in widest if len(a.values) > 2):
                break
        _remove_dead_steps(plan, pictures)
    return plan, pictures


# -- the HTML --------------------------------------------------------------------


def _label(value: float) -> str:
    text = f"{value:.10g}"
    return "\u2212" + text[1:] if text.startswith("-") else text


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def note(plan: Plan) -> str:
    """One or two sentences on where the book's sliders differ from the notebook's."""
    differences = []
    by_step: dict[tuple, list[str]] = {}
    for axis in plan.axes:
        if not math.isclose(axis.step, axis.slider.step) or not axis.full:
            span = (
                ""
                if axis.full
                else f" from {_label(axis.values[0])} to {_label(axis.values[-1])}"
            )
            by_step.setdefault((axis.step, span), []).append(axis.name)
    for (step, span), names in by_step.items():
        verb = "moves" if len(names) == 1 else "move"
        differences.append(f"{_join(names)} {verb} in steps of {_label(step)}{span}")
    fixed = plan.fixed
    named = (
        _join(fixed)
        if len(fixed) <= 3
        else f"the other {_number(len(fixed))} (listed above)"
    )
    if fixed and len(plan.presets) > 1:
        verb = "is" if len(fixed) == 1 else "are"
        differences.append(f"{named} {verb} set by the presets")
    elif len(fixed) > 3:
        differences.append(f"{named} stay at their starting values")
    elif fixed:
        values = plan.presets[0][1]
        differences.append(_join([f"{n} stays at {_label(values[n])}" for n in fixed]))
    if plan.mode == "sweep":
        differences.append(
            "each slider moves on its own: moving one returns the others to their "
            "starting values"
        )
    if not differences:
        return ""
    live_steps = {slider.step for slider in plan.live.values()}
    count = len(plan.live)
    which = "it" if count == 1 else ("both" if count == 2 else f"all {_number(count)}")
    if len(live_steps) == 1:
        tail = f"to move {which} in steps of {_label(live_steps.pop())}"
    else:
        tail = f"to move {which} in the code's steps"
    return (
        f"In the book {'; '.join(differences)}. Run the notebook (launch buttons at "
        f"the top) {tail}."
    )


def _number(count: int) -> str:
    words = "zero one two three four five six seven eight nine ten eleven twelve"
    return words.split()[count] if count <= 12 else str(count)


_STYLE = """
.nnbook-live-figure{--nnbook-accent:var(--pst-color-primary,#0a7d91);
 margin:0.5em auto;max-width:100%;text-align:left;color:inherit}
.nnbook-live-presets{display:flex;flex-wrap:wrap;justify-content:center;gap:0.4em;
 margin:0 0 0.4em}
.nnbook-live-presets button{min-height:44px;padding:0 0.9em;border-radius:0.4em;
 border:1px solid currentColor;background:transparent;color:inherit;font:inherit;
 cursor:pointer}
.nnbook-live-presets button[aria-pressed=true]{background:var(--nnbook-accent);
 border-color:var(--nnbook-accent);color:#fff}
.nnbook-live-controls{display:grid;grid-template-columns:repeat(var(--cols),
 minmax(0,1fr));gap:0 1.2em;margin:0 auto}
.nnbook-live-slider{display:grid;align-items:center;gap:0.5em;
 grid-template-columns:var(--label) minmax(0,1fr) var(--readout)}
.nnbook-live-slider input{width:100%;min-width:0;height:44px;margin:0;
 accent-color:var(--nnbook-accent);cursor:pointer}
.nnbook-live-slider output{font-variant-numeric:tabular-nums}
.nnbook-live-fixed,.nnbook-live-note,.nnbook-live-outcome{font-size:0.85em;
 margin:0.2em 0;text-align:center}
.nnbook-live-note{opacity:0.8}
.nnbook-live-outcome{font-weight:600}
.nnbook-live-picture{position:relative;background-size:100% 100%;margin:0.3em auto 0;
 max-width:100%;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.nnbook-live-picture img{position:absolute;display:block;height:auto;max-width:none}
@media (max-width:40rem){.nnbook-live-controls{grid-template-columns:1fr}}
"""

_SCRIPT = """(function () {
  var root = document.currentScript.parentElement;
  var json = root.querySelector("script[type='application/json']");
  var data = JSON.parse(json.textContent);
  var image = root.querySelector(".nnbook-live-picture img");
  var status = root.querySelector(".nnbook-live-outcome");
  var fixed = root.querySelector(".nnbook-live-fixed");
  var inputs = [].slice.call(root.querySelectorAll("input[type=range]"));
  var buttons = [].slice.call(root.querySelectorAll(".nnbook-live-presets button"));
  var preset = 0;
  function position(i) {
    var axis = data.axes[i];
    var k = Math.round((Number(inputs[i].value) - axis.values[0]) / axis.step);
    return Math.max(0, Math.min(axis.values.length - 1, k));
  }
  function show(moved) {
    var start = data.presets[preset].start, ks = [], parts = [], flat = 0, entry;
    inputs.forEach(function (input, i) {
      if (data.mode === "sweep" && moved !== undefined && i !== moved) {
        input.value = data.axes[i].values[start[i]];
      }
      var k = position(i), text = data.axes[i].labels[k];
      ks.push(k);
      input.setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + input.id + "']").textContent = text;
      parts.push(data.axes[i].name + " = " + text);
    });
    if (data.mode === "sweep") {
      var i = moved === undefined ? 0 : moved;
      entry = data.index[preset][data.offsets[i] + ks[i]];
    } else {
      ks.forEach(function (k, i) { flat = flat * data.axes[i].values.length + k; });
      entry = data.index[preset][flat];
    }
    var outcome = data.outcomes[entry[1]];
    var inputsText = parts.concat(data.presets[preset].fixed).join(", ");
    var frame = data.frames[entry[0]];
    image.src = frame[0];
    image.style.left = (100 * frame[1] / data.width) + "%";
    image.style.top = (100 * frame[2] / data.height) + "%";
    image.style.width = (100 * frame[3] / data.width) + "%";
    image.width = frame[3] / data.density;
    image.height = frame[4] / data.density;
    image.alt = data.description + (outcome ? ": " + outcome : "") +
      " (" + inputsText + ")";
    status.textContent = outcome || inputsText;
  }
  buttons.forEach(function (button, p) {
    button.addEventListener("click", function () {
      preset = p;
      buttons.forEach(function (b, q) {
        b.setAttribute("aria-pressed", String(q === p));
      });
      inputs.forEach(function (input, i) {
        input.value = data.axes[i].values[data.presets[p].start[i]];
      });
      if (fixed) fixed.textContent = data.presets[p].fixedText;
      show();
    });
  });
  inputs.forEach(function (input, i) {
    input.addEventListener("input", function () { show(i); });
  });
})();"""


def _index(plan: Plan, pictures: Pictures, outcomes: dict[str, int]):
    """Per preset, [frame, outcome] for each point in the order the page looks up."""
    index = []
    for p in range(len(plan.presets)):
        row = []
        for point in plan.points(p):
            frame, outcome = pictures.at[(p, point)]
            row.append([frame, outcomes.setdefault(outcome or "", len(outcomes))])
        index.append(row)
    return index


def static_html(live, rendered: tuple[Plan, Pictures] | None = None) -> str:
    """The live figure as self-contained HTML: pictures, range inputs, a little JS."""
    plan, pictures = rendered or render(live)
    # Keep only the pictures the final plan uses, renumbered in order of use.
    outcomes: dict[str, int] = {}
    index = _index(plan, pictures, outcomes)
    used = sorted({entry[0] for row in index for entry in row})
    renumber = {old: new for new, old in enumerate(used)}
    for row in index:
        for entry in row:
            entry[0] = renumber[entry[0]]
    frames = [pictures.frames[i] for i in used]

    height, width = pictures.background.shape[:2]
    css_width = round(width / DENSITY)
    start = plan.start(0)
    if plan.mode == "sweep":
        first = index[0][start[0]]
    else:
        flat = 0
        for axis, k in zip(plan.axes, start, strict=True):
            flat = flat * len(axis.values) + k
        first = index[0][flat]
    outcome_text = {v: k for k, v in outcomes.items()}
    digest = hashlib.sha1(f"{live.description}{plan.names}".encode()).hexdigest()[:8]
    uid = f"nnbook-live-{digest}-{next(_counter)}"

    def fixed_parts(p):
        values = plan.presets[p][1]
        return [f"{n} = {_label(values[n])}" for n in plan.fixed]

    presets = [
        {
            "start": plan.start(p),
            "fixed": fixed_parts(p),
            "fixedText": _fixed_text(plan, p),
        }
        for p in range(len(plan.presets))
    ]
    axes = [
        {
            "name": a.name,
            "step": a.step,
            "values": a.values,
            "labels": [_label(v) for v in a.values],
        }
        for a in plan.axes
    ]
    offsets = list(itertools.accumulate([0] + [len(a.values) for a in plan.axes[:-1]]))
    data = {
        "mode": plan.mode,
        "axes": axes,
        "presets": presets,
        "offsets": offsets,
        "frames": frames,
        "index": index,
        "outcomes": [outcome_text[i] for i in range(len(outcome_text))],
        "description": live.description,
        "width": width,
        "height": height,
        "density": DENSITY,
        "identical_steps": len(dead_steps(plan, pictures, everywhere=True)),
    }
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")

    current = [
        f"{a['name']} = {a['labels'][k]}" for a, k in zip(axes, start, strict=True)
    ]
    inputs_text = ", ".join(current + presets[0]["fixed"])
    outcome = outcome_text[first[1]]
    alt = f"{live.description}{': ' + outcome if outcome else ''} ({inputs_text})"

    parts = [f'<div class="nnbook-live-figure" id="{uid}" style="width:{css_width}px">']
    parts.append(f"<style>{_STYLE}</style>")
    if len(plan.presets) > 1:
        parts.append(
            '<div class="nnbook-live-presets" role="group" aria-label="presets">'
        )
        for p, (name, _) in enumerate(plan.presets):
            pressed = "true" if p == 0 else "false"
            parts.append(
                f'<button type="button" aria-pressed="{pressed}">'
                f"{html.escape(name)}</button>"
            )
        parts.append("</div>")
    columns = {1: 1, 2: 2, 3: 3, 4: 2}.get(len(plan.axes), 3)
    # Equal columns for every slider, so that the tracks line up row under row.
    label_width = max([len(a["name"]) for a in axes] + [1]) + 1
    # Long names leave no room for the track in a narrow column: fewer columns.
    if label_width > 10:
        columns = 1
    elif label_width > 6:
        columns = min(columns, 2)
    readout_width = max([len(t) for a in axes for t in a["labels"]] + [1]) + 1
    parts.append(
        f'<div class="nnbook-live-controls" role="group" style="--cols:{columns};'
        f'--label:{label_width}ch;--readout:{readout_width}ch" '
        f'aria-label="sliders for: {html.escape(live.description)}">'
    )
    for i, axis in enumerate(axes):
        input_id = f"{uid}-{i}"
        k = start[i]
        parts.append(
            f'<div class="nnbook-live-slider">'
            f'<label for="{input_id}">{html.escape(axis["name"])}</label>'
            f'<input type="range" id="{input_id}" min="{axis["values"][0]:.10g}" '
            f'max="{axis["values"][-1]:.10g}" step="{axis["step"]:.10g}" '
            f'data-code-step="{plan.axes[i].slider.step:.10g}" '
            f'value="{axis["values"][k]:.10g}" aria-valuetext="{axis["labels"][k]}">'
            f'<output for="{input_id}">{axis["labels"][k]}</output></div>'
        )
    parts.append("</div>")
    if plan.fixed and (len(plan.presets) > 1 or len(plan.fixed) > 3):
        # (a few sliders fixed without presets: the note names their values)
        parts.append(
            f'<p class="nnbook-live-fixed">{html.escape(_fixed_text(plan, 0))}</p>'
        )
    text = note(plan)
    if text:
        parts.append(f'<p class="nnbook-live-note">{html.escape(text)}</p>')
    background = pictures.background_uri
    uri, x, y, w, h = frames[first[0]]
    parts.append(
        f'<div class="nnbook-live-picture" style="width:{css_width}px;'
        f'aspect-ratio:{width}/{height};background-image:url({background})">'
        f'<img src="{uri}" alt="{html.escape(alt)}" width="{w / DENSITY:g}" '
        f'height="{h / DENSITY:g}" style="left:{100 * x / width:.4f}%;'
        f'top:{100 * y / height:.4f}%;width:{100 * w / width:.4f}%"></div>'
    )
    parts.append(
        f'<p class="nnbook-live-outcome" role="status" aria-live="polite">'
        f"{html.escape(outcome or inputs_text)}</p>"
    )
    parts.append(f'<script type="application/json">{payload}</script>')
    parts.append(f"<script>{_SCRIPT}</script></div>")
    return "".join(parts)


def _fixed_text(plan: Plan, p: int) -> str:
    values = plan.presets[p][1]
    if not plan.fixed:
        return ""
    listed = ", ".join(f"{n} = {_label(values[n])}" for n in plan.fixed)
    if len(plan.presets) > 1:
        return f"This preset sets {listed}."
    return f"Fixed in the book: {listed}."


_page_bytes = 0  # pictures already written by this kernel (one page)


def static_bundle(live) -> dict[str, str]:
    """The mime entries a book build adds to a live figure: its ``text/html``.

    Unless the chapter set the figure's ``budget``, a figure gets what the page has
    left of :data:`PAGE_BUDGET` (at most :data:`FIGURE_BUDGET`, at least
    :data:`MIN_FIGURE_BUDGET`): a second slider figure on a page gets steps as
    coarse as it must to keep the page's weight.
    """
    global _page_bytes
    spec = live.static
    if spec.budget is None:
        left = PAGE_BUDGET - _page_bytes
        spec = replace(spec, budget=max(MIN_FIGURE_BUDGET, min(FIGURE_BUDGET, left)))
    plan, pictures = render(live, spec)
    _page_bytes += _bytes_used(plan, pictures) + len(pictures.background_uri)
    return {"text/html": static_html(live, (plan, pictures))}

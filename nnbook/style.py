"""One plot style for every figure in the book.

Figures are drawn at :data:`FIGURE_DPI` logical pixels per inch and stored at
twice that density (:data:`RENDER_SCALE`), so they stay sharp on high-density
screens; the stored PNG carries its logical size, which JupyterLab and the book
use to show it. Text is never smaller than :data:`MIN_FONT_SIZE` points. Every
colour keeps at least 3:1 contrast against the white figure background
(``tests/test_helpers.py`` checks it); in dark mode the book shows figures on a
light card, so the same colours hold there.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

# Okabe & Ito's colour-blind-safe palette, darkened where a colour had less than
# 3:1 contrast on white (orange, sky blue, reddish purple, yellow).
COLORS = {
    "blue": "#0072B2",
    "orange": "#C77700",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#AA4499",
    "sky": "#2C8FB8",
    "yellow": "#8A7A00",
    "black": "#000000",
}
BACKGROUND = "#FFFFFF"
# The order lines take their colours in: neighbours differ in hue and lightness.
CYCLE = ("blue", "vermillion", "green", "purple", "orange", "sky", "yellow", "black")

# A diverging colour map for signed values (outputs, weights) that stays readable
# for colour-blind readers.
DIVERGING_CMAP = "RdBu_r"

FIGURE_WIDTH = 7.0  # inches; every full-width figure in the book is this wide
FIGURE_DPI = 100  # logical pixels per inch: 700 px wide, the book's text column
RENDER_SCALE = 2  # stored pixels per logical pixel (sharp on 2x screens)
PNG_COLORS = 256  # stored figures use an adaptive palette: a third of the bytes
FONT_SIZE = 11  # points; 15 px at FIGURE_DPI
MIN_FONT_SIZE = 10  # tick labels and legends; 14 px, the book's small print


def use_book_style() -> None:
    """Apply the book's figure style to matplotlib (every chapter, first cell).

    In a Jupyter kernel it also makes figures display through :func:`figure_png`:
    stored at :data:`RENDER_SCALE` times their logical size, with a palette.
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (FIGURE_WIDTH, FIGURE_WIDTH * 0.55),
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI * RENDER_SCALE,
            "figure.facecolor": BACKGROUND,
            "savefig.facecolor": BACKGROUND,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=[COLORS[name] for name in CYCLE]),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": MIN_FONT_SIZE,
            "ytick.labelsize": MIN_FONT_SIZE,
            "legend.fontsize": MIN_FONT_SIZE,
            "legend.title_fontsize": MIN_FONT_SIZE,
            "figure.titlesize": FONT_SIZE + 1,
            "lines.linewidth": 1.8,
            "legend.frameon": False,
            "image.cmap": DIVERGING_CMAP,
            # Fixed metadata and hash salt make saved figures byte-for-byte repeatable.
            "svg.hashsalt": "nnbook",
            "path.simplify": True,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is not None:
        # Importing the inline backend runs its one-time set-up, which registers
        # its own PNG formatter; ours must come after it to take its place.
        import matplotlib_inline.backend_inline  # noqa: F401
        from matplotlib.figure import Figure

        formatter = shell.display_formatter.formatters["image/png"]
        formatter.for_type(Figure, figure_png)


def adaptive_palette(image, colors: int = PNG_COLORS, exact: int = 64):
    """A palette image (mode "P") for the RGB ``image`` to be mapped to.

    Its ``exact`` most frequent colours (paper, fills, the line colours) are kept
    exactly, so flat areas and the ink show no shift; the rest of the ``colors``
    come from a median cut. Both are found in a quarter of the pixels (a drawing at
    2x covers whole blocks of pixels with each colour). :mod:`nnbook.static_sliders`
    maps every picture of a live figure to one such palette.
    """
    from PIL import Image

    sample = image.reduce(2) if min(image.size) >= 64 else image
    counted = sample.getcolors(maxcolors=sample.width * sample.height)
    counted.sort(key=lambda item: -item[0])
    fixed = [color for _, color in counted[:exact]]
    found = []
    if len(counted) > len(fixed):
        rest = sample.quantize(
            colors=colors - len(fixed),
            method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE,
        )
        values = np.array(rest.getpalette(), dtype=np.int16).reshape(-1, 3)
        # Each median-cut colour averages a box of colours: paper and ink exact.
        values[values >= 252], values[values <= 3] = 255, 0
        found = [tuple(v) for v in values[: colors - len(fixed)]]
    palette = Image.new("P", (1, 1))
    palette.putpalette([int(c) for color in fixed + found for c in color])
    return palette


def figure_png(fig) -> tuple[bytes, dict]:
    """A figure as the book stores it: PNG at :data:`RENDER_SCALE` times its size,
    with an adaptive palette of :data:`PNG_COLORS` colours (sharp lines and text,
    about a third of the bytes of full colour), and its logical size as metadata
    so that JupyterLab and the book show it at that size."""
    import io

    from PIL import Image

    image = _tight_pixels(fig)
    palette = image.quantize(
        colors=PNG_COLORS,
        method=Image.Quantize.MEDIANCUT,
        dither=Image.Dither.NONE,
    )
    out = io.BytesIO()
    # zlib level 7: 7 % more bytes than level 9 (optimize=True), a fifth the time
    palette.save(out, format="png", compress_level=7)
    width, height = image.size
    return out.getvalue(), {
        "width": width // RENDER_SCALE,
        "height": height // RENDER_SCALE,
    }


def _tight_pixels(fig):
    """The figure drawn at :data:`RENDER_SCALE` times its dpi, cut to its tight
    bounding box plus ``savefig.pad_inches``, as an RGB PIL image.

    ``savefig(bbox_inches="tight")`` draws a figure twice, once to measure it;
    this draws it once on its Agg canvas and cuts the box out of the pixels, the
    padding beyond the figure's edge in its face colour. A figure with ink outside
    its own area, a see-through face, or another canvas is saved the usual way.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba
    from PIL import Image

    dpi = fig.dpi
    face = to_rgba(fig.get_facecolor())
    if isinstance(fig.canvas, FigureCanvasAgg) and face[3] == 1:
        fig.set_dpi(dpi * RENDER_SCALE)
        try:
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            box = fig.get_tightbbox(renderer)
            pixels = np.asarray(renderer.buffer_rgba())[..., :3]
        finally:
            fig.set_dpi(dpi)
        scale = dpi * RENDER_SCALE
        height, width = pixels.shape[:2]
        inside = (
            box.x0 * scale >= -0.5
            and box.y0 * scale >= -0.5
            and box.x1 * scale <= width + 0.5
            and box.y1 * scale <= height + 0.5
        )
        if inside:
            box = box.padded(mpl.rcParams["savefig.pad_inches"])
            # the sizes savefig gives: whole pixels, rounded down
            left, top = round(box.x0 * scale), height - round(box.y1 * scale)
            right, bottom = left + int(box.width * scale), top + int(box.height * scale)
            out = np.empty((bottom - top, right - left, 3), np.uint8)
            out[...] = np.round(np.array(face[:3]) * 255).astype(np.uint8)
            rows = slice(max(top, 0), min(bottom, height))
            cols = slice(max(left, 0), min(right, width))
            out[
                rows.start - top : rows.stop - top, cols.start - left : cols.stop - left
            ] = pixels[rows, cols]
            return Image.fromarray(out)
    buffer = io.BytesIO()
    fig.canvas.print_figure(
        buffer,
        format="png",
        dpi=dpi * RENDER_SCALE,
        bbox_inches="tight",
        facecolor=fig.get_facecolor(),
        pil_kwargs={"compress_level": 1},  # read back at once: no time on zlib
    )
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def figure(ncols: int = 1, nrows: int = 1, height: float | None = None, **kwargs):
    """A new figure in the book's width with ``nrows x ncols`` axes (all chapters).

    Returns ``(fig, axes)`` like :func:`matplotlib.pyplot.subplots`.
    """
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be at least 1, got {ncols=}, {nrows=}")
    if height is None:
        height = FIGURE_WIDTH / ncols * nrows * 0.85
    return plt.subplots(nrows, ncols, figsize=(FIGURE_WIDTH, height), **kwargs)

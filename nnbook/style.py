"""One plot style for every figure in the book."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

# Okabe & Ito's colour-blind-safe palette, in the order the book uses it.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

# A diverging colour map for signed values (outputs, weights) that stays readable
# for colour-blind readers.
DIVERGING_CMAP = "RdBu_r"

FIGURE_WIDTH = 7.0  # inches; every figure in the book is this wide
FIGURE_DPI = 80


def use_book_style() -> None:
    """Apply the book's figure style to matplotlib (every chapter, first cell)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (FIGURE_WIDTH, FIGURE_WIDTH * 0.55),
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
            "axes.titlesize": 10,
            "legend.frameon": False,
            "image.cmap": DIVERGING_CMAP,
            # Fixed metadata and hash salt make saved figures byte-for-byte repeatable.
            "svg.hashsalt": "nnbook",
            "path.simplify": True,
        }
    )


def figure(ncols: int = 1, nrows: int = 1, height: float | None = None, **kwargs):
    """A new figure in the book's width with ``nrows x ncols`` axes (all chapters).

    Returns ``(fig, axes)`` like :func:`matplotlib.pyplot.subplots`.
    """
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be at least 1, got {ncols=}, {nrows=}")
    if height is None:
        height = FIGURE_WIDTH / ncols * nrows * 0.85
    return plt.subplots(nrows, ncols, figsize=(FIGURE_WIDTH, height), **kwargs)

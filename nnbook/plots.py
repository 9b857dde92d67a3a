"""Figure helpers for descent paths over loss landscapes (chapters 4 and 5).

Chapter 5 (Gradient descent) draws the same kind of picture many times: a loss
drawn as contours over two parameters, with the path gradient descent takes across
it. These helpers keep that plumbing out of the chapter:

* :func:`inside_box` cuts a path where it leaves the plotted region;
* :func:`contour_map` draws equal-loss curves with **equal axis scales**, so that
  the gradient, which is perpendicular to the contours, looks perpendicular;
* :func:`plot_path` draws one path, cut at the box, with its start marked;
* :func:`descent_figure` builds the figure and update function of a live figure
  (sliders for the start and the learning rate) that runs gradient descent and
  shows the path and its loss curve; :func:`nnbook.sliders.live_figure` wires it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nnbook.nn import gradient_descent
from nnbook.style import COLORS, figure


def inside_box(path: np.ndarray, low, high) -> np.ndarray:
    """The points of ``path`` (shape ``(steps + 1, 2)``) before it first leaves the
    box ``[low, high]`` or stops being finite (chapter 5, Gradient descent)."""
    path = np.asarray(path, dtype=float)
    with np.errstate(invalid="ignore"):
        outside = ~np.all((path >= low) & (path <= high), axis=1)
    first = np.flatnonzero(outside)
    return path if first.size == 0 else path[: first[0]]


def contour_map(
    ax,
    grid1: np.ndarray,
    grid2: np.ndarray,
    values: np.ndarray,
    levels: Sequence[float],
    *,
    labels: tuple[str, str] = ("$w_1$", "$w_2$"),
    cmap: str = "viridis",
    equal: bool = True,
):
    """Contours of ``values`` (shape ``(len(grid2), len(grid1))``) on ``ax``, with
    equal scales on both axes unless ``equal`` is false (chapter 5, Gradient
    descent). Returns the contour set."""
    G1, G2 = np.meshgrid(grid1, grid2)
    contours = ax.contour(G1, G2, values, levels=levels, cmap=cmap, linewidths=0.8)
    ax.set(
        xlim=(grid1[0], grid1[-1]),
        ylim=(grid2[0], grid2[-1]),
        xlabel=labels[0],
        ylabel=labels[1],
    )
    if equal:
        ax.set_aspect("equal", adjustable="box")
    ax.grid(False)
    return contours


def plot_path(
    ax,
    path: np.ndarray,
    color: str,
    label: str | None = None,
    *,
    box: tuple | None = None,
    ms: float = 3.0,
    lw: float = 1.0,
):
    """Draw a descent path (cut where it leaves ``box = (low, high)``) with a
    square at its start (chapter 5, Gradient descent). Returns the line."""
    shown = inside_box(path, *box) if box is not None else np.asarray(path, float)
    (line,) = ax.plot(
        shown[:, 0], shown[:, 1], "-o", color=color, ms=ms, lw=lw, label=label
    )
    ax.plot(*np.asarray(path, float)[0], "s", color=color, ms=ms + 3)
    return line


def descent_figure(
    loss: Callable[[np.ndarray], np.ndarray],
    grad: Callable[[np.ndarray], np.ndarray],
    grid1: np.ndarray,
    grid2: np.ndarray,
    levels: Sequence[float],
    names: tuple[str, str, str],
    *,
    steps: int,
    marks: Sequence[tuple[float, float, str, str]] = (),
    labels: tuple[str, str] = ("$w_1$", "$w_2$"),
    loss_limits: tuple[float, float] | None = None,
    height: float = 3.2,
):
    """The figure and update function of a descent-path live figure (chapter 5,
    Gradient descent): hand both to :func:`nnbook.sliders.live_figure`.

    ``loss(W)`` takes points of shape ``(..., 2)``; ``grad(w)`` one point of shape
    ``(2,)``. ``names`` are the three slider names, in the order start coordinate
    1, start coordinate 2, learning rate. ``marks`` are ``(x, y, marker, label)``
    points drawn on the map (minima, saddles). The left panel shows the ``steps``
    gradient-descent steps over equal-scale contours, the right one the loss at
    every step; ``update`` returns a line saying where the run ended.
    """
    G1, G2 = np.meshgrid(grid1, grid2)
    values = loss(np.stack([G1, G2], axis=-1))
    low = np.array([grid1[0], grid2[0]])
    high = np.array([grid1[-1], grid2[-1]])

    fig, (ax, ax_loss) = figure(ncols=2, height=height)
    contour_map(ax, grid1, grid2, values, levels, labels=labels)
    for x, y, marker, label in marks:
        ax.plot(x, y, marker, color=COLORS["black"], ms=10, label=label)
    (path_line,) = ax.plot([], [], "-o", color=COLORS["vermillion"], ms=2.5, lw=1)
    (start,) = ax.plot([], [], "s", color=COLORS["blue"], ms=7)
    title = fig.suptitle(" ")
    if len(marks) > 1:
        ax.legend(loc="upper left")
    (loss_line,) = ax_loss.plot([], [], color=COLORS["vermillion"])
    ax_loss.set(xlim=(0, steps), xlabel="step $t$", ylabel="loss $L$")
    if loss_limits is None:
        loss_limits = (float(values.min()), float(values.max()))
    ax_loss.set_ylim(*loss_limits)

    def update(**values_now):
        w0 = np.array([values_now[names[0]], values_now[names[1]]])
        lr = values_now[names[2]]
        with np.errstate(over="ignore", invalid="ignore"):
            path = gradient_descent(grad, w0, lr, steps)
        shown = inside_box(path, low, high)
        path_line.set_data(shown[:, 0], shown[:, 1])
        start.set_data([w0[0]], [w0[1]])
        losses = loss(shown)
        loss_line.set_data(np.arange(len(shown)), losses)
        if len(shown) < len(path):
            outcome = (
                f"lr = {lr:.2f}: left the plot at step {len(shown)} (path cut there)"
            )
        else:
            end = path[-1]
            outcome = (
                f"lr = {lr:.2f}: after {steps} steps at "
                f"({end[0]:.2f}, {end[1]:.2f}), loss {losses[-1]:.3f}"
            )
        title.set_text(outcome)
        return outcome

    return fig, update

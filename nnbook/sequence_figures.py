"""Figures of chapter 9, Sequences: the drawing that teaches nothing by itself.

The chapter writes the recurrent networks, their gradients and their training;
these functions only draw the diagrams and the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch

from nnbook.style import COLORS, figure

ARROW = {"arrowstyle": "-|>", "color": "0.3", "lw": 1.3, "shrinkA": 0, "shrinkB": 0}


def _box(ax, x, y, text, width=0.9, height=0.6, color=COLORS["blue"], fill="#E8F1F8"):
    """A rounded box centred at (x, y) with ``text`` in it."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.04",
            facecolor=fill,
            edgecolor=color,
            lw=1.5,
        )
    )
    ax.text(x, y, text, ha="center", va="center")


def _arrow(ax, start, end, label=None, offset=(0.0, 0.12), **style):
    ax.annotate("", xy=end, xytext=start, arrowprops={**ARROW, **style})
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(
            middle[0] + offset[0],
            middle[1] + offset[1],
            label,
            ha="center",
            va="bottom" if offset[1] >= 0 else "top",
            color=style.get("color", "0.2"),
        )


def unrolled_figure(steps: int = 4):
    """Chapter 9: one recurrent cell with its loop, and the same cell unrolled over
    ``steps`` time steps, with the shared weights on every arrow."""
    fig, ax = figure(height=2.9)
    ax.set_axis_off()
    # the folded network: one cell whose output feeds back into itself
    _box(ax, 0.0, 0.0, "$h_t$")
    ax.text(0.0, -1.55, "$x_t$", ha="center", va="center")
    _arrow(ax, (0.0, -1.35), (0.0, -0.34), "$W_x$", offset=(0.28, -0.05))
    ax.annotate(
        "",
        xy=(0.3, 0.34),
        xytext=(-0.3, 0.34),
        arrowprops={
            **ARROW,
            "connectionstyle": "arc3,rad=-1.6",
            "color": COLORS["vermillion"],
        },
    )
    ax.text(0.0, 1.05, "$W_h$", ha="center", color=COLORS["vermillion"])
    ax.text(1.1, 0.0, "=", ha="center", va="center", fontsize=18)
    # the unrolled network: one copy of the cell per time step
    x0, gap = 2.2, 1.55
    ax.text(x0, 0.0, "$h_0$", ha="center", va="center")
    for t in range(1, steps + 1):
        x = x0 + gap * t
        _box(ax, x, 0.0, f"$h_{t}$")
        ax.text(x, -1.55, f"$x_{t}$", ha="center", va="center")
        _arrow(ax, (x, -1.35), (x, -0.34), "$W_x$", offset=(0.28, -0.05))
        _arrow(
            ax,
            (x - gap + (0.2 if t == 1 else 0.49), 0.0),
            (x - 0.49, 0.0),
            "$W_h$",
            color=COLORS["vermillion"],
        )
    last = x0 + gap * steps
    ax.text(last, 1.55, r"$\hat y$", ha="center", va="center")
    _arrow(ax, (last, 0.34), (last, 1.3), "$W_y$", offset=(0.3, -0.05))
    ax.text(
        (x0 + last) / 2 + gap / 2,
        -2.2,
        "the same $W_x$, $W_h$ and $\\mathbf{b}$ at every step",
        ha="center",
        va="center",
        color="0.3",
    )
    ax.set(xlim=(-0.9, last + 0.8), ylim=(-2.5, 1.9), aspect="equal")
    return fig


def lstm_cell_figure():
    """Chapter 9: one LSTM step. The cell state runs along the top, changed only by
    a product with the forget gate and a sum; the gates read h_{t-1} and x_t."""
    fig, ax = figure(height=3.4)
    ax.set_axis_off()
    top, gates_y, bottom = 2.0, 0.0, -1.6
    cell = COLORS["vermillion"]
    # the cell path
    ax.text(-0.5, top, "$c_{t-1}$", ha="right", va="center", color=cell)
    ax.text(-0.5, bottom, "$h_{t-1}$", ha="right", va="center")
    ax.text(0.5, -2.35, "$x_t$", ha="center", va="center")
    ops = {
        "times_f": (1.0, top),
        "plus": (3.0, top),
        "times_i": (3.0, 1.0),
        "times_o": (5.0, 0.9),
        "tanh_c": (5.0, 1.55),
    }
    for name, (x, y) in ops.items():
        if name == "tanh_c":
            continue
        ax.add_patch(Circle((x, y), 0.22, facecolor="white", edgecolor="0.2", lw=1.3))
        ax.text(x, y, "+" if name == "plus" else r"$\times$", ha="center", va="center")
    _arrow(ax, (-0.45, top), (0.78, top), color=cell, lw=2.2)
    _arrow(ax, (1.22, top), (2.78, top), color=cell, lw=2.2)
    _arrow(ax, (3.22, top), (6.4, top), color=cell, lw=2.2)
    ax.text(6.5, top, "$c_t$", ha="left", va="center", color=cell)
    # the gates: sigma, sigma, tanh, sigma, all reading [h_{t-1}, x_t]
    gates = [
        ("forget\n$f_t$, $\\sigma$", 1.0),
        ("input\n$i_t$, $\\sigma$", 2.3),
        ("candidate\n$g_t$, tanh", 3.7),
        ("output\n$o_t$, $\\sigma$", 5.0),
    ]
    ax.plot([-0.45, 5.0], [bottom, bottom], color="0.3", lw=1.3)
    ax.plot([0.5, 0.5], [-2.15, bottom], color="0.3", lw=1.3)
    for text, x in gates:
        _box(ax, x, gates_y, text, width=1.15, height=0.75, color=COLORS["blue"])
        _arrow(ax, (x, bottom), (x, gates_y - 0.4))
    _arrow(ax, (1.0, gates_y + 0.38), (1.0, top - 0.22))
    _arrow(ax, (2.3, gates_y + 0.38), (2.8, 1.0 - 0.1))
    _arrow(ax, (3.7, gates_y + 0.38), (3.2, 1.0 - 0.1))
    _arrow(ax, (3.0, 1.22), (3.0, top - 0.22))
    # the output: h_t = o_t * tanh(c_t)
    ax.plot([5.8, 5.8], [top, 1.55], color=cell, lw=1.3)
    _arrow(ax, (5.8, 1.55), (5.22, 0.95), color=cell)
    ax.text(6.0, 1.45, "tanh", ha="left", va="center", color=cell, fontsize=10)
    _arrow(ax, (5.0, gates_y + 0.38), (5.0, 0.9 - 0.22))
    _arrow(ax, (5.22, 0.9), (6.4, 0.9))
    ax.text(6.5, 0.9, "$h_t$", ha="left", va="center")
    ax.set(xlim=(-1.3, 7.3), ylim=(-2.6, 2.5), aspect="equal")
    return fig


def learning_curves_figure(
    losses: Mapping[str, Sequence[np.ndarray]], guess: float, window: int = 20
):
    """Chapter 9: training loss against step for several runs of each model (one
    colour per model, one line per seed), smoothed over ``window`` steps, with the
    loss of guessing uniformly as a dotted line."""
    fig, ax = figure(height=2.9)
    colors = [COLORS["blue"], COLORS["vermillion"], COLORS["green"]]
    kernel = np.ones(window) / window
    for (name, runs), color in zip(losses.items(), colors, strict=False):
        for index, run in enumerate(runs):
            smooth = np.convolve(run, kernel, mode="valid")
            ax.plot(
                np.arange(window, len(run) + 1),
                smooth,
                color=color,
                lw=1.5,
                label=name if index == 0 else None,
            )
    ax.axhline(guess, color="0.4", ls=":", label="guessing, $\\ln 4$")
    ax.set(
        xlabel="training step", ylabel="training loss\n(cross-entropy)", ylim=(0, None)
    )
    ax.legend(loc="upper right")
    return fig


def gradient_norms_figure(
    norms: Mapping[str, np.ndarray], predicted: Mapping[str, np.ndarray]
):
    """Chapter 9: the size of the gradient that reaches each earlier time step, on a
    log scale; ``norms[name][k]`` is its size k steps back from the last step, and
    ``predicted[name]`` a prediction drawn dashed in the same colour."""
    fig, ax = figure(height=3.2)
    colors = [COLORS["black"], COLORS["blue"], COLORS["vermillion"], COLORS["green"]]
    for (name, values), color in zip(norms.items(), colors, strict=False):
        ax.semilogy(np.arange(len(values)), values, color=color, label=name)
        if name in predicted:
            ax.semilogy(
                np.arange(len(values)),
                predicted[name],
                "--",
                color=color,
                lw=1.3,
                label=f"{name}: cell path only",
            )
    ax.set(xlabel="steps back from the last step", ylabel="gradient size")
    ax.legend(loc="lower left")
    return fig


def gradient_slider_figure(x: np.ndarray, u: float, h0: float):
    """Chapter 9's slider figure: the gradient through time of a scalar RNN
    h_t = f(w h_{t-1} + u x_t + b), for tanh and ReLU, against the time step.

    Returns the figure and its ``update(w, b)``, which reruns both recurrences on
    the inputs ``x`` and moves the lines; the outcome names the size at the end.
    """
    steps = len(x)
    t = np.arange(1, steps + 1)
    low, high = 1e-30, 1e12
    fig, ax = figure(height=3.2)
    ax.axhspan(high, 1e3, color=COLORS["vermillion"], alpha=0.07, lw=0)
    ax.axhspan(1e-3, low, color=COLORS["blue"], alpha=0.07, lw=0)
    ax.text(1.5, 1e9, "exploding", color=COLORS["vermillion"], va="center")
    ax.text(1.5, 1e-5, "vanishing", color=COLORS["blue"], va="center")
    (bound,) = ax.semilogy(t, np.ones(steps), ":", color="0.35", label="$|w|^t$")
    (tanh_line,) = ax.semilogy(t, np.ones(steps), color=COLORS["blue"], label="tanh")
    (relu_line,) = ax.semilogy(
        t, np.ones(steps), color=COLORS["vermillion"], label="ReLU"
    )
    ax.set(
        xlim=(1, steps),
        ylim=(low, high),
        xlabel="time step $t$",
        ylabel=r"$|\partial h_t / \partial h_0|$",
    )
    fig.legend(loc="outside upper center", ncols=3)

    def gradients(f, slope, w, b):
        h, g, out = h0, 1.0, np.empty(steps)
        for k in range(steps):
            z = w * h + u * x[k] + b
            h = f(z)
            g *= w * slope(z, h)
            out[k] = abs(g)
        return out

    def update(w, b):
        tanh_g = gradients(np.tanh, lambda z, h: 1.0 - h * h, w, b)
        relu_g = gradients(lambda z: max(z, 0.0), lambda z, h: float(z > 0), w, b)
        tanh_line.set_ydata(np.clip(tanh_g, low, high))
        relu_line.set_ydata(np.clip(relu_g, low, high))
        bound.set_ydata(np.clip(np.abs(w) ** t, low, high))
        return (
            f"after {steps} steps: tanh {tanh_g[-1]:.1e}, ReLU {relu_g[-1]:.1e}, "
            f"|w|^{steps} = {abs(w) ** steps:.1e}"
        )

    return fig, update

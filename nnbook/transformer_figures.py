"""Figures of chapter 11, A transformer block from scratch: the plotting that teaches
nothing by itself.

The chapter writes layer normalization, the block, its backward pass and the training
loop; these functions draw the block, the learned attention maps and the training
curves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.patches import FancyBboxPatch

from nnbook.style import COLORS, figure

WEIGHTS_CMAP = "Blues"  # attention weights lie in [0, 1]: dark = large


def _box(ax, x, y, text, color, width=1.5, height=0.5):
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.04",
            facecolor="white",
            edgecolor=color,
            linewidth=1.8,
        )
    )
    ax.text(x, y, text, ha="center", va="center")


def _arrow(ax, start, end, head=True, corner=False):
    props = {
        "arrowstyle": "-|>" if head else "-",
        "color": "0.35",
        "lw": 1.4,
        "shrinkA": 0,
        "shrinkB": 0,
    }
    if corner:  # along x first, then along y (or the reverse when going down)
        props["connectionstyle"] = "angle,angleA=0,angleB=90"
    ax.annotate("", xy=end, xytext=start, arrowprops=props)


def _plus(ax, x, y):
    ax.text(
        x,
        y,
        "+",
        ha="center",
        va="center",
        zorder=3,
        bbox={
            "boxstyle": "circle,pad=0.15",
            "facecolor": "white",
            "edgecolor": "0.2",
            "linewidth": 1.4,
        },
    )


def block_diagram():
    """Chapter 11: a pre-LN block (left) and a post-LN block (right), input at the
    bottom; the vertical line on the left of each is the residual stream."""
    fig, axes = figure(ncols=2, height=4.4)
    stream, side = -0.8, 0.7  # x of the residual stream and of the side branches
    for ax, pre in zip(axes, (True, False), strict=True):
        ax.set(xlim=(-1.6, 1.6), ylim=(-0.5, 6.7))
        ax.set_title("pre-LN" if pre else "post-LN")
        ax.axis("off")
        ax.text(stream, -0.3, "$X$", ha="center", va="center")
        ax.text(stream, 6.5, "$Y$", ha="center", va="center")
        y = 0.0  # where the stream has got to
        for level, (name, color) in enumerate(
            (("attention", COLORS["blue"]), ("MLP", COLORS["vermillion"]))
        ):
            base = 3.0 * level
            fork, plus = base + 0.5, base + 2.3
            _arrow(ax, (stream, y), (stream, plus - 0.17), head=False)
            _arrow(ax, (stream, fork), (side, fork), head=False)
            if pre:
                _box(ax, side, base + 1.0, "layer norm", COLORS["green"])
                _box(ax, side, base + 1.8, name, color)
                _arrow(ax, (side, fork), (side, base + 0.75))
                _arrow(ax, (side, base + 1.25), (side, base + 1.55))
                _arrow(ax, (side, base + 2.05), (side, plus), head=False)
                _arrow(ax, (side, plus), (stream + 0.17, plus))
                y = plus + 0.17
            else:
                _box(ax, side, base + 1.4, name, color)
                _box(ax, stream, base + 2.9, "layer norm", COLORS["green"], width=1.3)
                _arrow(ax, (side, fork), (side, base + 1.15))
                _arrow(ax, (side, base + 1.65), (side, plus), head=False)
                _arrow(ax, (side, plus), (stream + 0.17, plus))
                _arrow(ax, (stream, plus + 0.17), (stream, base + 2.65))
                y = base + 3.15
            _plus(ax, stream, plus)
        _arrow(ax, (stream, y), (stream, 6.3))
    return fig


def attention_grid(weights: np.ndarray, title: str = "block {block}, head {head}"):
    """Chapter 11: attention maps ``weights`` of shape (blocks, heads, n, n), one
    panel per block (rows) and head (columns); queries down, keys across."""
    blocks, heads, n, _ = weights.shape
    fig, axes = figure(
        ncols=heads, nrows=blocks, height=2.6 * blocks + 0.3, squeeze=False
    )
    ticks = np.arange(n)
    for b in range(blocks):
        for h in range(heads):
            ax = axes[b, h]
            image = ax.imshow(weights[b, h], cmap=WEIGHTS_CMAP, vmin=0, vmax=1)
            ax.set_xticks(ticks)
            ax.set_yticks(ticks)
            ax.grid(False)
            ax.set(title=title.format(block=b, head=h))
            if b == blocks - 1:
                ax.set_xlabel("key position $j$")
            if h == 0:
                ax.set_ylabel("query position $i$")
    fig.colorbar(image, ax=axes, label="attention weight", shrink=0.8)
    return fig


def training_curves(curves: Mapping[str, Sequence[np.ndarray]]):
    """Chapter 11: training loss against step, one colour per model, one line per
    seed."""
    fig, ax = figure(height=3.2)
    colors = [COLORS["blue"], COLORS["vermillion"], COLORS["green"], COLORS["purple"]]
    for (name, runs), color in zip(curves.items(), colors, strict=False):
        for k, curve in enumerate(runs):
            ax.semilogy(curve, color=color, lw=1.3, label=name if k == 0 else None)
    ax.set(xlabel="training step", ylabel="cross-entropy (training batch)")
    ax.legend()
    return fig


def example_sliders(tokens: np.ndarray, predictions: np.ndarray, weights: np.ndarray):
    """Chapter 11's slider figure: one held-out sequence's attention maps in one block.

    ``tokens`` and ``predictions`` are (m, n) digits, ``weights`` (m, blocks, heads,
    n, n). Returns the figure and ``update(example, block)``; the title gives the
    input, the output and whether the output is the reversed input.
    """
    m, blocks, heads, n, _ = weights.shape
    fig, axes = figure(ncols=heads, height=3.1, squeeze=False)
    images = []
    for h, ax in enumerate(axes[0]):
        images.append(ax.imshow(weights[0, 0, h], cmap=WEIGHTS_CMAP, vmin=0, vmax=1))
        ax.set_xticks(np.arange(n))
        ax.set_yticks(np.arange(n))
        ax.grid(False)
        ax.set(xlabel="key position $j$", title=f"head {h}")
    axes[0, 0].set_ylabel("query position $i$")
    title = fig.suptitle(" ")

    def update(example, block):
        i, b = int(example), int(block)
        for h in range(heads):
            images[h].set_data(weights[i, b, h])
        right = (predictions[i] == tokens[i, ::-1]).all()
        text = (
            f"block {b}: input {' '.join(map(str, tokens[i]))}, output "
            f"{' '.join(map(str, predictions[i]))} ({'right' if right else 'wrong'})"
        )
        title.set_text(text)
        return text

    return fig, update

"""Figures of chapter 10, Attention: the plotting that teaches nothing by itself.

The chapter writes attention, masks, heads and gradients; these functions draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nnbook.style import COLORS, figure

WEIGHTS_CMAP = "Blues"  # weights are in [0, 1]: a sequential map, dark = large


def _heatmap(ax, weights: np.ndarray, labels: Sequence[str] | None = None):
    image = ax.imshow(weights, cmap=WEIGHTS_CMAP, vmin=0, vmax=1)
    if labels is not None:
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, labels, rotation=60, ha="right")
        ax.set_yticks(ticks, labels)
    ax.grid(False)
    return image


def attention_map(weights: np.ndarray, words: Sequence[str]):
    """Chapter 10: a sentence's attention weights, queries down, keys across."""
    fig, ax = figure(height=4.6)
    image = _heatmap(ax, weights, words)
    ax.set(xlabel="key (looked at)", ylabel="query (looking)")
    fig.colorbar(image, ax=ax, label="attention weight", shrink=0.8)
    return fig


def scaling_figure(rows: Sequence[tuple], widths: Sequence[int]):
    """Chapter 10: mean largest weight and largest softmax slope against d_k."""
    fig, (left, right) = figure(ncols=2, height=2.9)
    for name, color, style in (
        ("unscaled", COLORS["vermillion"], "-o"),
        ("scaled", COLORS["blue"], "-s"),
    ):
        top = [r[3] for r in rows if r[1] == name]
        slope = [r[4] for r in rows if r[1] == name]
        left.semilogx(widths, top, style, color=color, label=name, base=2)
        right.semilogx(widths, slope, style, color=color, label=name, base=2)
    left.set(xlabel="$d_k$", ylabel="mean largest weight", ylim=(0, 1.02))
    right.set(xlabel="$d_k$", ylabel="mean largest $a(1-a)$", ylim=(0, 0.27))
    left.legend()
    return fig


def masks_figure(causal: np.ndarray, padded: np.ndarray):
    """Chapter 10: weights under a causal mask and under a padding mask."""
    fig, axes = figure(ncols=2, height=3.2)
    for ax, weights, title in (
        (axes[0], causal, "causal mask"),
        (axes[1], padded, "padding mask (last two keys)"),
    ):
        _heatmap(ax, weights)
        ax.set(title=title, xlabel="key position", ylabel="query position")
    return fig


def positions_figure(encoding: np.ndarray):
    """Chapter 10: sinusoidal positional encodings, positions down."""
    fig, ax = figure(height=3.6)
    image = ax.imshow(encoding, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set(xlabel="dimension", ylabel="position $p$")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="encoding")
    return fig


def sentence_sliders(X, words, W_Q, W_K, W_V, attention: Callable):
    """Chapter 10's slider figure: the sentence's attention map under a pronoun
    query weight, a noun key weight and a temperature.

    Returns the figure and ``update(pronoun_query, noun_key, temperature)``.
    """
    fig, ax = figure(height=4.4)
    image = _heatmap(ax, np.zeros((len(words), len(words))), words)
    ax.set(xlabel="key (looked at)", ylabel="query (looking)")
    title = ax.set_title(" ")
    i_it, i_cat, i_mat = words.index("it"), words.index("cat"), words.index("mat")

    def update(pronoun_query, noun_key, temperature):
        w_q, w_k = W_Q.copy(), W_K.copy()
        w_q[3, 0] = pronoun_query
        w_k[0, 0] = noun_key
        Q, K, V = X @ w_q, X @ w_k, X @ W_V
        _, weights = attention(Q / temperature, K, V)
        image.set_data(weights)
        text = (
            f"'it' looks {weights[i_it, i_cat]:.0%} at 'cat', "
            f"{weights[i_it, i_mat]:.0%} at 'mat'"
        )
        title.set_text(text)
        return text

    return fig, update

"""Figures of chapter 8, Training a network in practice: the plotting that teaches
nothing by itself.

The chapter splits the data, trains the networks and computes every number; these
functions only draw what it hands them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from nnbook.style import COLORS, figure

GREY = "Greys"  # digits are drawn dark on light, as ink on paper


def _digit_axes(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def mosaic(images: np.ndarray, columns: int, pad: float = np.nan) -> np.ndarray:
    """Chapter 8: 8x8 images (n, 64) tiled into one array, ``columns`` per row,
    with a one-pixel gap of ``pad`` between them (drawn as background)."""
    images = np.asarray(images, dtype=float).reshape(-1, 8, 8)
    rows = max(1, int(np.ceil(len(images) / columns)))
    out = np.full((rows * 9 - 1, columns * 9 - 1), pad)
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        out[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = image
    return out


def samples_figure(X: np.ndarray, y: np.ndarray, per_class: int = 2):
    """Chapter 8: the first ``per_class`` images of each class, labelled."""
    fig, axes = figure(ncols=10, nrows=per_class, height=0.85 * per_class + 0.3)
    for k in range(10):
        shown = np.flatnonzero(y == k)[:per_class]
        for row, index in enumerate(shown):
            ax = axes[row, k] if per_class > 1 else axes[k]
            ax.imshow(X[index].reshape(8, 8), cmap=GREY, vmin=0, vmax=16)
            _digit_axes(ax)
            if row == 0:
                ax.set_title(str(k))
    return fig


def depth_figure(
    stds: Mapping[tuple[str, str], np.ndarray],
    rules: Sequence[str],
    activations: Sequence[str],
):
    """Chapter 8: the standard deviation of each layer's activations, one panel
    per activation and one line per initialization rule (log scale)."""
    fig, axes = figure(ncols=len(activations), height=3.0, sharey=True)
    colors = [COLORS[c] for c in ("black", "blue", "vermillion", "green", "purple")]
    for ax, activation in zip(np.atleast_1d(axes), activations, strict=True):
        for rule, color in zip(rules, colors, strict=False):
            values = stds[rule, activation]
            layers = np.arange(1, len(values) + 1)
            ax.semilogy(layers, values, "o-", color=color, label=rule, ms=4)
        ax.set(title=activation, xlabel="layer $l$", xticks=layers)
    np.atleast_1d(axes)[0].set_ylabel("std of $Z^{[l]}$")
    np.atleast_1d(axes)[-1].legend(loc="lower left")
    return fig


def init_slider_figure(
    layer_stds: Callable[[float], Mapping[str, np.ndarray]],
    depth: int,
    ylim=(1e-6, 1e3),
):
    """Chapter 8's init-scale slider: per-layer activation std for each activation.

    ``layer_stds(gain)`` returns ``{activation: stds}`` for weights drawn with
    standard deviation ``gain / sqrt(n_in)``. Returns the figure and its
    ``update(gain)``.
    """
    fig, ax = figure(height=3.0)
    layers = np.arange(1, depth + 1)
    looks = {
        "ReLU": COLORS["vermillion"],
        "tanh": COLORS["blue"],
        "identity": COLORS["green"],
    }
    lines = {}
    for name in layer_stds(1.0):
        lines[name] = ax.semilogy(
            layers,
            np.ones(depth),
            "o-",
            label=name,
            color=looks.get(name, COLORS["black"]),
            ms=4,
        )[0]
    ax.axhline(1.0, color="0.5", lw=1, ls=":")
    ax.set(xlabel="layer $l$", ylabel="std of $Z^{[l]}$", xticks=layers, ylim=ylim)
    ax.legend(loc="lower left")
    title = ax.set_title(" ")

    def update(gain):
        stds = layer_stds(gain)
        parts = []
        for name, values in stds.items():
            lines[name].set_ydata(np.clip(values, ylim[0], ylim[1]))
            parts.append(f"{name} {values[-1]:.2g}")
        text = f"gain {gain:.2f}: std at layer {depth}: " + ", ".join(parts)
        title.set_text(text)
        return text

    return fig, update


def curves_figure(history: Mapping[str, np.ndarray], stopped: int | None = None):
    """Chapter 8: training and validation loss (left) and accuracy (right) per
    epoch; ``history`` has arrays "train_loss", "val_loss", "train_acc",
    "val_acc". ``stopped`` marks the epoch early stopping keeps."""
    fig, (left, right) = figure(ncols=2, height=2.8)
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    for ax, key, label in ((left, "loss", "cross-entropy"), (right, "acc", "accuracy")):
        ax.plot(epochs, history[f"train_{key}"], color=COLORS["blue"], label="training")
        ax.plot(
            epochs,
            history[f"val_{key}"],
            color=COLORS["vermillion"],
            label="validation",
        )
        if stopped is not None:
            ax.axvline(stopped, color="0.4", ls="--", lw=1)
        ax.set(xlabel="epoch", ylabel=label)
    left.set_yscale("log")
    left.legend()
    return fig


def regularization_figure(
    histories: Mapping[str, Mapping[str, np.ndarray]], stopped: Mapping[str, int]
):
    """Chapter 8: validation loss per epoch (left) and training loss (right) of
    runs with and without a regularizer; a dot marks each run's kept epoch."""
    fig, (left, right) = figure(ncols=2, height=3.0, sharex=True)
    colors = [COLORS[c] for c in ("black", "blue", "vermillion", "green")]
    for (name, history), color in zip(histories.items(), colors, strict=False):
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        left.plot(epochs, history["val_loss"], color=color, label=name)
        right.semilogy(epochs, history["train_loss"], color=color, label=name)
        if name in stopped:
            best = stopped[name]
            left.plot(best, history["val_loss"][best - 1], "o", color=color, ms=7)
    left.set(xlabel="epoch", ylabel="validation loss")
    right.set(xlabel="epoch", ylabel="training loss (log)")
    left.legend()
    return fig


def confusion_figure(
    confusion: np.ndarray,
    wrong_images: np.ndarray,
    wrong_labels: Sequence[tuple[int, int]],
    max_shown: int = 12,
):
    """Chapter 8: the test confusion matrix (rows true class, columns predicted)
    and up to ``max_shown`` misclassified test digits, titled "true → predicted"."""
    import matplotlib.pyplot as plt

    shown = min(len(wrong_images), max_shown)
    columns = int(min(max(3, np.ceil(shown / 2)), max_shown // 2))
    fig = plt.figure(figsize=(7.0, 3.6))
    grid = fig.add_gridspec(2, 1 + columns, width_ratios=[3.6] + [1] * columns)
    ax = fig.add_subplot(grid[:, 0])
    ax.imshow(confusion, cmap="Blues")
    K = len(confusion)
    for i in range(K):
        for j in range(K):
            if confusion[i, j]:
                dark = confusion[i, j] > confusion.max() / 2
                ax.text(
                    j,
                    i,
                    str(confusion[i, j]),
                    ha="center",
                    va="center",
                    color="white" if dark else "black",
                )
    ax.set(
        xticks=range(K), yticks=range(K), xlabel="predicted class", ylabel="true class"
    )
    ax.grid(False)
    for index in range(2 * columns):
        sub = fig.add_subplot(grid[index // columns, 1 + index % columns])
        _digit_axes(sub)
        if index < shown:
            sub.imshow(wrong_images[index].reshape(8, 8), cmap=GREY, vmin=0, vmax=16)
            true, predicted = wrong_labels[index]
            sub.set_title(f"{true}→{predicted}")
    return fig


def weights_figure(W1: np.ndarray, columns: int = 16):
    """Chapter 8: each hidden unit's 64 incoming weights drawn as an 8x8 image
    (red positive, blue negative, each unit scaled to its own largest weight)."""
    scaled = W1.T / np.abs(W1).max(axis=0)[:, None]  # one row per unit, in [-1, 1]
    rows = int(np.ceil(len(scaled) / columns))
    fig, ax = figure(height=rows * 0.55 + 0.2)
    ax.imshow(mosaic(scaled, columns, pad=0.0), cmap="RdBu_r", vmin=-1, vmax=1)
    _digit_axes(ax)
    return fig


def perturb_slider_figure(
    evaluate: Callable[[int, float, float], tuple],
    images: np.ndarray,
    max_shown: int = 16,
):
    """Chapter 8's perturbation slider: accuracy and the test digits that flip.

    ``evaluate(unit, bias_shift, out_scale)`` returns (accuracy, indices that
    became wrong, indices that became right, text). The figure shows the flipped
    digits in one mosaic: those that became wrong first, then those that became
    right. Returns the figure and ``update(unit, bias_shift, out_scale)``.
    """
    fig, ax = figure(height=2.6)
    columns = max_shown // 2
    import matplotlib as mpl

    cmap = mpl.colormaps["RdBu_r"].copy()
    cmap.set_bad("0.85")  # the gaps between the tiles
    blank = mosaic(np.zeros((max_shown, 64)), columns)
    image = ax.imshow(blank, cmap=cmap, vmin=-16, vmax=16)
    _digit_axes(ax)
    title = ax.set_title(" ")
    # an axes text, not the x label: the slider renderer redraws the axes' artists
    note = ax.text(0.5, -0.03, " ", transform=ax.transAxes, ha="center", va="top")

    def update(unit, bias_shift, out_scale):
        _, became_wrong, became_right, text = evaluate(int(unit), bias_shift, out_scale)
        wrong = list(became_wrong[:columns])
        right = list(became_right[:columns])
        tiles = np.zeros((max_shown, 64))
        for slot, index in enumerate(wrong):
            tiles[slot] = images[index]  # top row: red, now misclassified
        for slot, index in enumerate(right):
            tiles[columns + slot] = -images[index]  # bottom row: blue, now right
        grid = mosaic(tiles, columns)
        image.set_data(grid)
        title.set_text(text)
        note.set_text(
            f"top (red): {len(became_wrong)} now wrong; "
            f"bottom (blue): {len(became_right)} now right"
        )
        return text

    return fig, update


def convolution_figure(panels: Sequence[tuple[str, np.ndarray]]):
    """Chapter 8: a digit, a filter, the feature map and its pooled version, side
    by side; each panel has its own colour scale (signed maps in red and blue)."""
    fig, axes = figure(ncols=len(panels), height=2.2)
    for ax, (name, array) in zip(np.atleast_1d(axes), panels, strict=True):
        scale = np.abs(array).max() or 1.0
        signed = array.min() < 0
        ax.imshow(
            array,
            cmap="RdBu_r" if signed else GREY,
            vmin=-scale if signed else 0,
            vmax=scale,
        )
        rows, cols = array.shape
        if rows <= 3:
            for i in range(rows):
                for j in range(cols):
                    dark = abs(array[i, j]) > 0.6 * scale  # white on dark cells
                    ax.text(
                        j,
                        i,
                        f"{array[i, j]:g}",
                        ha="center",
                        va="center",
                        color="white" if dark else "black",
                    )
        _digit_axes(ax)
        ax.set_title(f"{name}\n{rows}×{cols}")
    return fig

"""Diagrams of neurons and small networks drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import Circle

from nnbook.style import COLORS, MIN_FONT_SIZE


def draw_network(
    ax: plt.Axes,
    layer_sizes: Sequence[int],
    node_labels: Sequence[Sequence[str]] | None = None,
    edge_labels: dict[tuple[int, int, int], str] | None = None,
    layer_names: Sequence[str] | None = None,
) -> None:
    """Draw a fully connected network on ``ax`` (chapters 1, 2 and 6).

    ``layer_sizes`` lists the number of nodes per layer, inputs first.
    ``node_labels[l][i]`` labels node ``i`` of layer ``l``; ``edge_labels[(l, i, j)]``
    labels the edge from node ``i`` of layer ``l`` to node ``j`` of layer ``l + 1``.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
        raise ValueError(
            f"layer_sizes needs two or more positive integers, got {sizes}"
        )
    if node_labels is not None and [len(labels) for labels in node_labels] != sizes:
        raise ValueError(
            f"node_labels must have one label per node, shaped like {sizes}, "
            f"got {[len(labels) for labels in node_labels]}"
        )
    edge_labels = edge_labels or {}
    tallest = max(sizes)
    radius = 0.22
    positions = [
        [(2.0 * layer, (n - 1) / 2 - i) for i in range(n)]
        for layer, n in enumerate(sizes)
    ]
    for layer in range(len(sizes) - 1):
        for i, (x0, y0) in enumerate(positions[layer]):
            for j, (x1, y1) in enumerate(positions[layer + 1]):
                ax.annotate(
                    "",
                    xy=(x1 - radius, y1),
                    xytext=(x0 + radius, y0),
                    arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 1.0},
                )
                label = edge_labels.get((layer, i, j))
                if label:
                    t = 0.3 if len(positions[layer + 1]) > 1 else 0.45
                    ax.text(
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0) + 0.1,
                        label,
                        ha="center",
                        va="bottom",
                        fontsize=MIN_FONT_SIZE,
                        color=COLORS["vermillion"],
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
                    )
    colors = [COLORS["sky"]] + [COLORS["orange"]] * (len(sizes) - 2) + [COLORS["green"]]
    for layer, nodes in enumerate(positions):
        for i, (x, y) in enumerate(nodes):
            ax.add_patch(
                Circle((x, y), radius, fc=colors[layer], ec="black", lw=1, zorder=3)
            )
            if node_labels is not None:
                ax.text(x, y, node_labels[layer][i], ha="center", va="center", zorder=4)
        if layer_names is not None:
            ax.text(
                nodes[0][0], (tallest - 1) / 2 + 0.55, layer_names[layer], ha="center"
            )
    ax.set_xlim(-0.6, 2.0 * (len(sizes) - 1) + 0.6)
    ax.set_ylim(-(tallest - 1) / 2 - 0.5, (tallest - 1) / 2 + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")

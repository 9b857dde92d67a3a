"""Diagrams of neurons and small networks drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
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
    labels the edge from node ``i`` of layer ``l`` to node ``j`` of layer ``l + 1``;
    each such label sits just beside its edge, above or below it, near one end,
    on the side where the next edge is farthest (clear for the book's small
    networks; layers of three or more nodes leave little room between the edges).
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
    for layer in range(len(sizes) - 1):
        taken: set = set()  # the spaces beside edges that already hold a label
        edges = [
            (start, end) for start in positions[layer] for end in positions[layer + 1]
        ]
        for i in range(sizes[layer]):
            for j in range(sizes[layer + 1]):
                label = edge_labels.get((layer, i, j))
                if label:
                    edge = edges[i * sizes[layer + 1] + j]
                    t, side = _label_spot(edge, edges, taken)
                    (x0, y0), (x1, y1) = edge
                    slope = (y1 - y0) / (x1 - x0)
                    # the label's corner nearest the edge sits a few points off
                    # the edge; the rest of it leans away from the edge, whichever
                    # way the edge slopes
                    lean = 0 if abs(slope) < 1e-9 else int(np.sign(slope)) * side
                    ax.annotate(
                        label,
                        xy=(x0 + t * (x1 - x0), y0 + t * (y1 - y0)),
                        xytext=(-3 * lean, 4 * side),
                        textcoords="offset points",
                        ha={-1: "left", 0: "center", 1: "right"}[lean],
                        va="bottom" if side > 0 else "top",
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


def _label_spot(edge, edges, taken: set) -> tuple[float, int]:
    """Where an edge's label goes: a fraction ``t`` of the way along the edge and a
    side (1 above it, -1 below) where the nearest other edge on that side is
    farthest away, so that the label sits beside its own edge and no other.

    ``edges`` are all the edges between two layers, as ((x0, y0), (x1, y1));
    ``taken`` holds the spaces beside or between edges that already hold a label,
    and gets the one chosen: two labels never share a space. Ties go to the side
    above and to the point nearer the edge's start.
    """

    def height(e, t):
        (x0, y0), (x1, y1) = e
        return y0 + t * (y1 - y0)

    best = None
    for t in (0.3, 0.7):  # clear of the nodes and of where crossing edges meet
        for side in (1, -1):
            gaps = [
                (side * (height(other, t) - height(edge, t)), other)
                for other in edges
                if other != edge
            ]
            gaps = [(gap, other) for gap, other in gaps if gap > 1e-9]
            if gaps:
                room, nearest = min(gaps)
                space = (t, *sorted([edges.index(edge), edges.index(nearest)]))
            else:  # nothing on this side: the free space above or below the edges
                room, space = float("inf"), (t, side)
            room = min(room, 1.0)  # a node apart is room enough
            if space not in taken and (best is None or room > best[0] + 1e-9):
                best = (room, t, side, space)
    if best is None:
        raise ValueError(f"no room left beside the edge {edge} for its label")
    taken.add(best[3])
    return best[1], best[2]

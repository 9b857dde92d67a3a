"""Small helpers: data sets, diagrams and the plot style reject bad input clearly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook.datasets import logic_gate
from nnbook.diagrams import draw_network
from nnbook.style import figure


def test_logic_gates_use_one_row_per_example():
    X, y = logic_gate("xor")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    assert logic_gate("AND")[1].tolist() == [0, 0, 0, 1]


def test_logic_gate_returns_copies_the_caller_may_modify():
    X, _ = logic_gate("OR")
    X[:] = 7
    assert logic_gate("OR")[0].max() == 1


def test_unknown_gate_lists_the_known_ones():
    with pytest.raises(ValueError, match="choose one of AND, OR, NAND, NOR, XOR"):
        logic_gate("XNOR")


def test_network_diagram_checks_labels_against_layer_sizes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"shaped like \[2, 1\], got \[2, 2\]"):
        draw_network(ax, [2, 1], node_labels=[["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match="two or more positive integers"):
        draw_network(ax, [3])
    draw_network(ax, [2, 2, 1], edge_labels={(0, 0, 1): "$w$"})
    assert len(ax.patches) == 5
    plt.close(fig)


def test_figure_rejects_zero_columns():
    with pytest.raises(ValueError, match="at least 1"):
        figure(ncols=0)
    fig, axes = figure(ncols=3)
    assert np.shape(axes) == (3,)
    plt.close(fig)


def _luminance(color: str) -> float:
    red, green, blue = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def test_every_book_colour_has_three_to_one_contrast_on_the_figure_background():
    from nnbook.style import BACKGROUND, COLORS

    for name, color in COLORS.items():
        light, dark = sorted([_luminance(color), _luminance(BACKGROUND)])[::-1]
        ratio = (light + 0.05) / (dark + 0.05)
        assert ratio >= 3, f"{name} {color}: contrast {ratio:.2f}:1"


def test_figures_are_stored_at_twice_their_displayed_size():
    import base64
    import io

    from IPython.core.interactiveshell import InteractiveShell
    from PIL import Image

    from nnbook.style import FIGURE_DPI, RENDER_SCALE, use_book_style

    shell = InteractiveShell.instance()
    try:
        use_book_style()
        fig, ax = figure()
        ax.plot([0, 1], [0, 1])
        data, meta = shell.display_formatter.format(fig)
        png = (
            base64.b64decode(data["image/png"])
            if isinstance(data["image/png"], str)
            else data["image/png"]
        )
        width = Image.open(io.BytesIO(png)).size[0]
        shown = meta["image/png"]["width"]
        assert abs(width - RENDER_SCALE * shown) <= 1  # rounding of odd widths
        assert shown > 0.9 * 7.0 * FIGURE_DPI
        plt.close(fig)
    finally:
        InteractiveShell.clear_instance()


def _gap(box, start, end) -> float:
    """Smallest distance, in pixels, from the segment start-end to a box."""
    points = start + np.linspace(0, 1, 500)[:, None] * (end - start)
    dx = np.maximum(np.maximum(box.x0 - points[:, 0], 0), points[:, 0] - box.x1)
    dy = np.maximum(np.maximum(box.y0 - points[:, 1], 0), points[:, 1] - box.y1)
    return float(np.hypot(dx, dy).min())


@pytest.mark.parametrize(
    ("sizes", "figsize"), [([2, 2, 1], (6, 3.2)), ([3, 1], (5, 2.6))]
)
def test_each_weight_label_sits_beside_its_own_edge(sizes, figsize):
    # chapter 2's 2-2-1 network, whose W_22 label once lay on the edge W_21, and
    # chapter 1's neuron, at the sizes the chapters draw them
    fig, ax = plt.subplots(figsize=figsize)
    labels = {
        (layer, i, j): f"$W^{{[{layer + 1}]}}_{{{i + 1}{j + 1}}}$"
        for layer in range(len(sizes) - 1)
        for i in range(sizes[layer])
        for j in range(sizes[layer + 1])
    }
    draw_network(ax, sizes, edge_labels=labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    centres = [
        [(2.0 * layer, (n - 1) / 2 - i) for i in range(n)]
        for layer, n in enumerate(sizes)
    ]
    edges = {
        key: (
            ax.transData.transform(centres[key[0]][key[1]]),
            ax.transData.transform(centres[key[0] + 1][key[2]]),
        )
        for key in labels
    }
    texts = {text.get_text(): text for text in ax.texts}
    boxes = {
        key: texts[text].get_window_extent(renderer) for key, text in labels.items()
    }
    for key, box in boxes.items():
        own = _gap(box, *edges[key])
        others = min(_gap(box, *edge) for k, edge in edges.items() if k != key)
        assert 1 < own < 8, (labels[key], own)  # beside its edge, not on it
        assert others > 2 * own + 5, (labels[key], own, others)  # clearly its own
        for other_key, other_box in boxes.items():
            assert other_key == key or not box.overlaps(other_box)
    plt.close(fig)


def _saved_tight(fig):
    import io

    from PIL import Image

    from nnbook.style import RENDER_SCALE

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * RENDER_SCALE, bbox_inches="tight")
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_stored_figures_are_cut_like_savefig_tight_in_one_draw():
    import io

    from PIL import Image

    from nnbook.style import RENDER_SCALE, figure_png, use_book_style

    use_book_style()
    fig, ax = figure(height=2.5)
    ax.plot([0, 1], [0, 1], label="a line")
    ax.legend()
    ax.set_xlabel("x")
    png, meta = figure_png(fig)
    ours = Image.open(io.BytesIO(png))
    saved = _saved_tight(fig)
    # the same box, padding included, to a pixel of rounding
    assert abs(ours.width - saved.width) <= 1 and abs(ours.height - saved.height) <= 1
    assert meta == {
        "width": ours.width // RENDER_SCALE,
        "height": ours.height // RENDER_SCALE,
    }
    # a label outside the figure's own area: cut from the canvas it would be lost,
    # so the figure is saved the usual way and the label kept
    fig.text(1.15, 0.5, "outside")
    wide = Image.open(io.BytesIO(figure_png(fig)[0]))
    assert wide.width == _saved_tight(fig).width > ours.width + 20
    beyond = np.asarray(wide.convert("L"))[:, ours.width :]
    assert beyond.min() < 100  # the label's ink
    plt.close(fig)

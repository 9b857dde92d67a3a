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

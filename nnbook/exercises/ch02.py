"""Exercises of chapter 2, Layers and forward propagation.

The notebook is ``solutions/02_layers.ipynb``.
"""

from __future__ import annotations

import numpy as np

from nnbook.datasets import logic_gate
from nnbook.exercises import Case, Diagnosis, Exercise


def _relu(z):
    return np.maximum(z, 0.0)


def _step(z):
    return np.where(z >= 0, 1.0, 0.0)  # fires once z reaches 0, as in chapter 1


def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


# ---------------------------------------------------------------------------
# 2.1 The forward pass of a two-layer ReLU network for a batch.


def _forward(X, W1, b1, W2, b2, hidden=_relu, output=_relu, transpose=False):
    X, W1, b1, W2, b2 = _arrays(X, W1, b1, W2, b2)
    first = W1.T if transpose else W1
    return output(hidden(X @ first + b1) @ W2 + b2)


WORKED_W1 = np.array([[0.6, 0.4], [0.2, 0.8]])
WORKED_B1 = np.array([0.1, -0.1])
WORKED_W2 = np.array([[0.5], [0.7]])
WORKED_B2 = np.array([0.2])
WIDE_W1 = np.array(  # 3 inputs, 4 neurons
    [[0.2, -0.5, 1.0, 0.3], [0.4, 0.1, -0.2, -0.6], [-0.3, 0.7, 0.5, 0.2]]
)

FORWARD = Exercise(
    number="2.1",
    title="the forward pass of a two-layer ReLU network for a batch",
    points=3,
    answer="two_layer_forward",
    arg_names=("X", "W1", "b1", "W2", "b2"),
    cases=(
        Case((np.array([[1.0, 0.5]]), WORKED_W1, WORKED_B1, WORKED_W2, WORKED_B2)),
        Case(
            (
                np.array([[1.0, 0.5], [-1.0, 0.5], [0.0, 2.0], [2.0, -3.0]]),
                WORKED_W1,
                WORKED_B1,
                WORKED_W2,
                WORKED_B2,
            )
        ),
        Case(  # hidden sums of both signs, an output that ReLU clips
            (
                np.array([[1.0, -1.0], [0.5, 2.0], [-2.0, 1.0]]),
                np.array([[1.0, -2.0], [0.5, 1.0]]),
                np.array([0.0, 0.5]),
                np.array([[1.0], [-1.5]]),
                np.array([-0.25]),
            )
        ),
        Case(  # 3 inputs, 4 hidden neurons, 2 outputs
            (
                np.array([[1.0, 2.0, -1.0], [0.0, -1.0, 3.0]]),
                WIDE_W1,
                np.array([0.1, 0.0, -0.2, 0.3]),
                np.array([[1.0, -1.0], [0.5, 0.2], [-0.4, 0.6], [0.3, 0.3]]),
                np.array([0.05, -0.1]),
            )
        ),
    ),
    reference=_forward,
    diagnoses=(
        Diagnosis(
            "the hidden layer's ReLU seems to be missing: A1 = relu(X @ W1 + b1).",
            lambda *args: _forward(*args, hidden=lambda z: z),
        ),
        Diagnosis(
            "the output layer's ReLU seems to be missing: both layers use ReLU.",
            lambda *args: _forward(*args, output=lambda z: z),
        ),
        Diagnosis(
            "this uses W1 transposed: in this book W has shape (inputs, outputs), "
            "so Z1 = X @ W1 + b1.",
            lambda *args: _forward(*args, transpose=True),
        ),
        Diagnosis(
            "the biases seem to be missing: each layer computes A @ W + b.",
            lambda X, W1, b1, W2, b2: _forward(X, W1, 0.0, W2, 0.0),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.2 Counting parameters.


def _pairs(layer_sizes):
    sizes = [int(n) for n in layer_sizes]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def _count_parameters(layer_sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in _pairs(layer_sizes))


COUNT = Exercise(
    number="2.2",
    title="counting the parameters of a network",
    points=2,
    answer="count_parameters",
    arg_names=("layer_sizes",),
    cases=(
        Case(([784, 128, 64, 10],)),
        Case(([784, 16, 10],)),
        Case(([2, 2, 1],)),
        Case(([3, 1],)),
        Case(([10, 10, 10, 10],)),
        Case(([1, 5, 1],)),
        Case(([5],)),  # inputs only: no layer, no parameters
    ),
    reference=_count_parameters,
    diagnoses=(
        Diagnosis(
            "this counts only the weights; each neuron also has a bias.",
            lambda sizes: sum(n_in * n_out for n_in, n_out in _pairs(sizes)),
        ),
        Diagnosis(
            "this gives every input a bias; biases belong to the neurons, one per "
            "neuron: a layer from n to k has n * k + k parameters.",
            lambda sizes: sum(n_in * n_out + n_in for n_in, n_out in _pairs(sizes)),
        ),
        Diagnosis(
            "this also counts biases for the input layer; the inputs have no "
            "parameters.",
            lambda sizes: _count_parameters(sizes) + int(sizes[0]),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.3 The shapes of every layer.


def _layer_shapes(m, layer_sizes, columns=False, weights_only_transposed=False):
    shapes = []
    for n_in, n_out in _pairs(layer_sizes):
        W = (n_out, n_in) if columns or weights_only_transposed else (n_in, n_out)
        Z = (n_out, int(m)) if columns else (int(m), n_out)
        shapes.append((W, (n_out,), Z))
    return shapes


SHAPES = Exercise(
    number="2.3",
    title="the shapes of every layer's weights, biases and outputs",
    points=2,
    answer="layer_shapes",
    arg_names=("m", "layer_sizes"),
    cases=(
        Case((32, [784, 128, 64, 10])),
        Case((1, [2, 2, 1])),
        Case((5, [3, 4])),
        Case((7, [6, 6, 2])),
        Case((10, [6])),  # no layer: an empty list
    ),
    reference=_layer_shapes,
    diagnoses=(
        Diagnosis(
            "these are the shapes of the other convention (one example per column); "
            "in this book W is (inputs, outputs) and Z is (examples, outputs).",
            lambda m, sizes: _layer_shapes(m, sizes, columns=True),
        ),
        Diagnosis(
            "the weight shapes are transposed: W maps inputs to outputs, so its shape "
            "is (inputs, outputs).",
            lambda m, sizes: _layer_shapes(m, sizes, weights_only_transposed=True),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.4 Collapsing two linear layers into one.


def _collapse(W1, b1, W2, b2):
    W1, b1, W2, b2 = _arrays(W1, b1, W2, b2)
    return W1 @ W2, b1 @ W2 + b2


COLLAPSE = Exercise(
    number="2.4",
    title="two linear layers as one",
    points=3,
    answer="collapse",
    arg_names=("W1", "b1", "W2", "b2"),
    cases=(
        Case((WORKED_W1, WORKED_B1, WORKED_W2, WORKED_B2)),
        Case(
            (
                np.array([[1.0, 2.0], [3.0, 4.0]]),
                np.array([0.5, -1.0]),
                np.array([[0.0, 1.0], [-1.0, 2.0]]),
                np.array([1.0, 1.0]),
            )
        ),
        Case(  # 3 inputs, 4 hidden, 2 outputs
            (
                WIDE_W1,
                np.array([0.1, 0.0, -0.2, 0.3]),
                np.array([[1.0, -1.0], [0.5, 0.2], [-0.4, 0.6], [0.3, 0.3]]),
                np.array([0.05, -0.1]),
            )
        ),
    ),
    reference=_collapse,
    diagnoses=(
        Diagnosis(
            "the first bias also passes through the second layer's weights: "
            "b = b1 @ W2 + b2, not b1 + b2.",
            lambda W1, b1, W2, b2: (_collapse(W1, b1, W2, b2)[0], b1 + b2),
        ),
        Diagnosis(
            "the first bias is missing: the first layer's output X @ W1 + b1 goes "
            "through W2, which gives b = b1 @ W2 + b2.",
            lambda W1, b1, W2, b2: (_collapse(W1, b1, W2, b2)[0], b2),
        ),
        Diagnosis(
            "the weights are multiplied in the wrong order: with one example per row, "
            "X @ W1 @ W2 gives W = W1 @ W2.",
            lambda W1, b1, W2, b2: (W2 @ W1, _collapse(W1, b1, W2, b2)[1]),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.5 Weights of a 2-2-1 step network that computes XOR.

_SHAPES = {"W1": [(2, 2)], "b1": [(2,)], "W2": [(2, 1), (2,)], "b2": [(), (1,)]}


def _judge_xor_network(value) -> tuple[bool, str]:
    names = list(_SHAPES)
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return False, (
            "`xor_network` should be four things: (W1, b1, W2, b2), with W1 of shape "
            f"(2, 2), b1 (2,), W2 (2, 1) and b2 a number; got {_short(value)}."
        )
    parts = {}
    for name, item in zip(names, value, strict=True):
        try:
            array = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            return False, f"{name} is not an array of numbers: {_short(item)}."
        if array.shape not in _SHAPES[name]:
            wanted = " or ".join(str(s) for s in _SHAPES[name])
            return False, f"{name} should have shape {wanted}, got {array.shape}."
        if not np.all(np.isfinite(array)):
            return False, f"{name} holds a value that is not finite: {array}."
        parts[name] = array
    inputs, targets = logic_gate("XOR")
    hidden = _step(inputs @ parts["W1"] + parts["b1"])
    outputs = _step(hidden @ parts["W2"].reshape(2) + parts["b2"].reshape(()))
    right = outputs == targets
    if right.all():
        return True, ""
    rows = [
        f"x=({x1:g}, {x2:g}): hidden ({h1:g}, {h2:g}), output {o:g}, XOR {t:g}"
        + ("" if ok else "  <- wrong")
        for (x1, x2), (h1, h2), o, t, ok in zip(
            inputs, hidden, outputs, targets, right, strict=True
        )
    ]
    return False, (
        f"This step network gets {int(right.sum())} of the 4 XOR points right:\n"
        + "\n".join("  " + r for r in rows)
    )


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


XOR_NETWORK = Exercise(
    number="2.5",
    title="weights of a 2-2-1 step network that computes XOR",
    points=2,
    answer="xor_network",
    judge_value=_judge_xor_network,
)

EXERCISES = (FORWARD, COUNT, SHAPES, COLLAPSE, XOR_NETWORK)

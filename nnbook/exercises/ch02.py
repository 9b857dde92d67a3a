"""Exercises of chapter 2, Layers and forward propagation.

The notebook is ``solutions/02_layers.ipynb``.
"""

from __future__ import annotations

import numpy as np

from nnbook.datasets import logic_gate
from nnbook.exercises import Case, Diagnosis, Exercise


def _step(z):
    return np.where(z >= 0, 1.0, 0.0)  # fires once z reaches 0, as in chapter 1


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _pairs(layer_sizes):
    sizes = [int(n) for n in layer_sizes]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def _count(layer_sizes, biases=True):
    pairs = _pairs(layer_sizes)
    return sum(n_in * n_out + (n_out if biases else 0) for n_in, n_out in pairs)


# ---------------------------------------------------------------------------
# 2.1 The parameter count of an equal-width network, as a formula (derivation).


def _equal_width_sizes(n_in, width, depth, n_out):
    return [int(n_in), *([int(width)] * int(depth)), int(n_out)]


def _equal_width_parameters(n_in, width, depth, n_out):
    if depth == 0:
        return (n_in + 1) * n_out
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_out


EQUAL_WIDTH = Exercise(
    number="2.1",
    title="the parameter count of an equal-width network, as a formula",
    points=3,
    answer="equal_width_parameters",
    arg_names=("n_in", "width", "depth", "n_out"),
    cases=(
        Case((784, 128, 1, 10)),
        Case((784, 100, 3, 10)),
        Case((2, 2, 1, 1)),
        Case((3, 5, 4, 2)),
        Case((10, 7, 2, 1)),
        Case((4, 9, 0, 3)),  # no hidden layer: one layer from the inputs to the outputs
    ),
    reference=_equal_width_parameters,
    diagnoses=(
        Diagnosis(
            "this counts only the weights; every neuron also has a bias.",
            lambda n, h, d, k: _count(_equal_width_sizes(n, h, d, k), biases=False),
        ),
        Diagnosis(
            "this counts one hidden-to-hidden layer too many: `depth` hidden layers "
            "are joined by depth - 1 layers of width x width weights.",
            lambda n, h, d, k: (n + 1) * h + d * (h + 1) * h + (h + 1) * k,
        ),
        Diagnosis(
            "this gives the inputs biases too; biases belong to the neurons, so a "
            "layer from n to k neurons has (n + 1) * k parameters.",
            lambda n, h, d, k: _equal_width_parameters(n, h, d, k) + n,
        ),
        Diagnosis(
            "with depth = 0 there is no hidden layer: the inputs connect straight to "
            "the outputs, (n_in + 1) * n_out parameters.",
            lambda n, h, d, k: (n + 1) * h + (d - 1) * (h + 1) * h + (h + 1) * k,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.2 When does the first layer stop holding most parameters? (prediction)


def _first_share(width, biases=True):
    sizes = [784, width, width, 10]
    first = 784 * width + (width if biases else 0)
    return first / _count(sizes, biases)


def _smallest_balanced_width(biases=True):
    width = 1
    while _first_share(width, biases) >= 0.5:
        width += 1
    return width


BALANCE_WIDTH = _smallest_balanced_width()


def _judge_balance(value) -> tuple[bool, str]:
    if type(value) is bool or type(value) not in (int, float):
        return False, (
            f"`balance_width` should be a whole number (a width), got {_short(value)}."
        )
    if not float(value).is_integer() or value < 1:
        return False, (
            f"`balance_width` is a number of neurons: a whole number of at least 1, "
            f"got {value!r}. Round your solution of the inequality to the smallest "
            "whole width that satisfies it."
        )
    width = int(value)
    share = _first_share(width)
    if width == BALANCE_WIDTH:
        return True, ""
    lines = [
        f"With width {width}, the first layer of the 784-{width}-{width}-10 network "
        f"holds {100 * share:.3f}% of its parameters."
    ]
    if share >= 0.5:
        lines.append("That is not less than half yet: the width must be larger.")
    else:
        lines.append(
            f"That is less than half, but so it is with width {width - 1} "
            f"({100 * _first_share(width - 1):.3f}%): find the smallest width."
        )
    if width == _smallest_balanced_width(biases=False):
        lines.append(
            "Hint: this is the answer without biases; count each layer's biases too."
        )
    return False, "\n".join(lines)


BALANCE = Exercise(
    number="2.2",
    title="the width at which the first layer stops holding most parameters",
    points=2,
    answer="balance_width",
    judge_value=_judge_balance,
)


# ---------------------------------------------------------------------------
# 2.3 The shapes of every layer (implementation).


def _layer_shapes(
    m, layer_sizes, columns=False, weights_only_transposed=False, flat_output=False
):
    shapes = []
    for n_in, n_out in _pairs(layer_sizes):
        W = (n_out, n_in) if columns or weights_only_transposed else (n_in, n_out)
        Z = (n_out, int(m)) if columns else (int(m), n_out)
        if flat_output and n_out == 1:
            Z = (int(m),)
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
        Case((4, [3, 1])),  # one output neuron: Z is still (m, 1)
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
        Diagnosis(
            "a layer of one neuron still gives Z of shape (m, 1): X @ W with W of "
            "shape (n, 1) keeps the second axis.",
            lambda m, sizes: _layer_shapes(m, sizes, flat_output=True),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 2.4 Predict the single layer a linear network collapses into (prediction).

COLLAPSE_W1 = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
COLLAPSE_B1 = np.array([0.5, 1.0, 1.0])
COLLAPSE_W2 = np.array([[2.0], [1.0], [-1.0]])
COLLAPSE_B2 = np.array([0.5])
COLLAPSED_W = COLLAPSE_W1 @ COLLAPSE_W2  # (2, 1)
COLLAPSED_B = COLLAPSE_B1 @ COLLAPSE_W2 + COLLAPSE_B2  # (1,)


def _judge_collapsed(value) -> tuple[bool, str]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return False, (
            "`collapsed` should be two things, (w, b): the weights (two numbers) and "
            f"the bias (one number); got {_short(value)}."
        )
    try:
        w = np.asarray(value[0], dtype=float)
        b = np.asarray(value[1], dtype=float)
    except (TypeError, ValueError):
        return False, f"`collapsed` should hold numbers, got {_short(value)}."
    if w.shape == (1, 2):
        return False, (
            "w has shape (1, 2): that is the transpose. In this book a layer's "
            "weights have one row per input, so the single neuron's weights have "
            "shape (2, 1) (or write them as two numbers, shape (2,))."
        )
    if w.shape not in ((2,), (2, 1)):
        return False, f"w should be two numbers, shape (2,) or (2, 1); got {w.shape}."
    if b.shape not in ((), (1,)):
        hint = (
            " b1 has three entries, one per hidden neuron; they reach the output "
            "through W2, so they combine into one number."
            if b.shape == (3,)
            else ""
        )
        return False, f"b should be one number; got shape {b.shape}.{hint}"
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
        return False, "`collapsed` holds a value that is not finite."
    w, b = w.reshape(2), float(b.reshape(()))
    w_ok = np.allclose(w, COLLAPSED_W.reshape(2), atol=1e-9)
    b_ok = np.isclose(b, COLLAPSED_B[0], atol=1e-9)
    if w_ok and b_ok:
        return True, ""
    lines = [
        f"w = {w.tolist()}: {'right' if w_ok else 'not right'}; "
        f"b = {b:g}: {'right' if b_ok else 'not right'}."
    ]
    if not w_ok:
        lines.append(
            "Hint: each input reaches the output along three paths, one per hidden "
            "neuron; add the products of the weights along them (W1 @ W2)."
        )
    if not b_ok:
        b1_sum = float(COLLAPSE_B1.sum() + COLLAPSE_B2[0])
        if np.isclose(b, COLLAPSE_B2[0]):
            lines.append(
                "Hint: the hidden biases b1 also reach the output, through W2."
            )
        elif np.isclose(b, b1_sum):
            lines.append(
                "Hint: the hidden biases are weighted by W2 on their way to the "
                "output: b = b1 @ W2 + b2, not the plain sum."
            )
        elif np.isclose(b, float(COLLAPSE_B1 @ COLLAPSE_W2[:, 0])):
            lines.append("Hint: the output neuron's own bias b2 is still there.")
    return False, "\n".join(lines)


COLLAPSED = Exercise(
    number="2.4",
    title="predict the single neuron a linear network collapses into",
    points=3,
    answer="collapsed",
    judge_value=_judge_collapsed,
)


# ---------------------------------------------------------------------------
# 2.5 A 2-2-1 step network for XOR that is not the chapter's (design).

_SHAPES = {"W1": [(2, 2)], "b1": [(2,)], "W2": [(2, 1), (2,)], "b2": [(), (1,)]}
_GATES = {
    tuple(logic_gate(name)[1].astype(int)): name
    for name in ("AND", "OR", "NAND", "NOR", "XOR")
}
_GATES.update(
    {
        (0, 0, 1, 0): "x1 AND NOT x2",
        (0, 1, 0, 0): "x2 AND NOT x1",
        (1, 1, 0, 1): "x2 OR NOT x1",
        (1, 0, 1, 1): "x1 OR NOT x2",
        (0, 0, 1, 1): "x1",
        (0, 1, 0, 1): "x2",
        (1, 1, 0, 0): "NOT x1",
        (1, 0, 1, 0): "NOT x2",
        (0, 0, 0, 0): "always 0",
        (1, 1, 1, 1): "always 1",
        (1, 0, 0, 1): "XNOR",
    }
)


def _gate_name(column) -> str:
    key = tuple(int(v) for v in column)
    if key in _GATES:
        return _GATES[key]
    return "(" + ", ".join(str(v) for v in key) + ")"


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
    if not right.all():
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
    gates = sorted(_gate_name(hidden[:, j]) for j in range(2))
    if gates == ["NAND", "OR"]:
        return False, (
            "This network computes XOR, but its hidden neurons compute OR and NAND: "
            "it is the chapter's network (perhaps rescaled or with its hidden "
            "neurons swapped). Design one whose hidden neurons compute other "
            "functions of the inputs."
        )
    return True, f"Your hidden neurons compute {gates[0]} and {gates[1]}."


XOR_NETWORK = Exercise(
    number="2.5",
    title="a 2-2-1 step network for XOR that is not the chapter's",
    points=2,
    answer="xor_network",
    judge_value=_judge_xor_network,
)

EXERCISES = (EQUAL_WIDTH, BALANCE, SHAPES, COLLAPSED, XOR_NETWORK)

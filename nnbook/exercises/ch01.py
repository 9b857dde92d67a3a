"""Exercises of chapter 1, Neurons and weights (``solutions/01_neurons.ipynb``)."""

from __future__ import annotations

import numpy as np

from nnbook.datasets import logic_gate
from nnbook.exercises import Case, Diagnosis, Exercise

ACTIVATIONS = {
    "identity": lambda z: z,
    "step": lambda z: np.where(z >= 0, 1.0, 0.0),  # fires once z reaches 0
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0),
}


def _neuron(x, w, b, activation):
    z = np.dot(np.asarray(x, float), np.asarray(w, float)) + b
    return float(ACTIVATIONS[activation](z))


def _neuron_without_bias(x, w, b, activation):
    return _neuron(x, w, 0.0, activation)


def _neuron_without_activation(x, w, b, activation):
    return _neuron(x, w, b, "identity")


def _neuron_bias_after_activation(x, w, b, activation):
    return _neuron(x, w, 0.0, activation) + b


NEURON = Exercise(
    number="1.1",
    title="a neuron with a chosen activation",
    points=3,
    answer="neuron",
    arg_names=("x", "w", "b", "activation"),
    cases=(
        Case((np.array([0.5, 0.3, 0.8]), np.array([0.6, 0.4, 0.2]), 0.1, "relu")),
        Case((np.array([2.0, -1.0, 0.5]), np.array([0.5, -0.3, 0.8]), 0.2, "relu")),
        Case((np.array([1.0, 1.0]), np.array([8.0, 8.0]), -10.0, "sigmoid")),
        Case((np.array([0.0, 1.0]), np.array([8.0, 8.0]), -10.0, "sigmoid")),
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1, "relu")),
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1, "identity")),
        Case((np.array([0.2, 0.9]), np.array([1.0, 1.0]), -1.5, "step")),
        Case((np.array([0.7, 0.9]), np.array([1.0, 1.0]), -1.5, "step")),
    ),
    reference=_neuron,
    diagnoses=(
        Diagnosis(
            "the bias b seems to be missing from the weighted sum.",
            _neuron_without_bias,
        ),
        Diagnosis(
            "the activation seems to be missing: return activation(z), not z.",
            _neuron_without_activation,
        ),
        Diagnosis(
            "the bias belongs inside the activation: activation(w . x + b).",
            _neuron_bias_after_activation,
        ),
    ),
)


def _layer(X, W, b):
    return np.asarray(X, float) @ np.asarray(W, float) + np.asarray(b, float)


LAYER = Exercise(
    number="1.2",
    title="weighted sums of a layer for a batch",
    points=3,
    answer="layer_weighted_sums",
    arg_names=("X", "W", "b"),
    cases=(
        Case(
            (
                np.array([[0.5, 0.3, 0.8]]),
                np.array([[0.6], [0.4], [0.2]]),
                np.array([0.1]),
            )
        ),
        Case(
            (
                np.array([[1.0, 0.5], [0.0, 2.0], [-1.0, 1.0]]),
                np.array([[0.6, 0.4], [0.2, 0.8]]),
                np.array([0.1, -0.1]),
            )
        ),
        Case(
            (
                np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                np.array([[0.1, -0.2], [0.3, 0.0], [-0.5, 0.4]]),
                np.array([1.0, -1.0]),
            )
        ),
    ),
    reference=_layer,
    diagnoses=(
        Diagnosis(
            "the bias b seems to be missing: Z = X @ W + b.",
            lambda X, W, b: np.asarray(X, float) @ np.asarray(W, float),
        ),
        Diagnosis(
            "this is X @ W.T: in this book W has shape (inputs, outputs), "
            "so Z = X @ W + b.",
            lambda X, W, b: np.asarray(X, float) @ np.asarray(W, float).T + b,
        ),
    ),
)


def _gate_judge(gate: str, name: str):
    inputs, targets = logic_gate(gate)

    def judge_value(value) -> tuple[bool, str]:
        numbers = np.asarray(value, dtype=float) if _is_numbers(value) else None
        if numbers is None or numbers.shape != (3,):
            return (
                False,
                f"`{name}` should be three numbers (w1, w2, b), got {value!r}.",
            )
        if not np.all(np.isfinite(numbers)):
            return False, f"`{name}` holds a value that is not finite: {numbers}."
        w1, w2, b = numbers
        outputs = ACTIVATIONS["sigmoid"](inputs @ np.array([w1, w2]) + b)
        right = np.where(targets == 1, outputs >= 0.9, outputs <= 0.1)
        if right.all():
            return True, ""
        rows = [
            f"x=({x1:g}, {x2:g}): target {t:g}, output {o:.4f}"
            + ("" if ok else "  <- should be " + (">= 0.9" if t == 1 else "<= 0.1"))
            for (x1, x2), t, o, ok in zip(inputs, targets, outputs, right, strict=False)
        ]
        return False, (
            f"A sigmoid neuron with (w1, w2, b) = ({w1:g}, {w2:g}, {b:g}) does not yet "
            f"compute {gate}:\n" + "\n".join("  " + r for r in rows)
        )

    return judge_value


def _is_numbers(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (tuple, list)) and all(
        type(v) in (int, float) for v in value
    )


OR_GATE = Exercise(
    number="1.3",
    title="weights for an OR gate",
    points=2,
    answer="or_weights",
    judge_value=_gate_judge("OR", "or_weights"),
)

NAND_GATE = Exercise(
    number="1.4",
    title="weights for a NAND gate",
    points=2,
    answer="nand_weights",
    judge_value=_gate_judge("NAND", "nand_weights"),
)


def _xor_errors(w1, w2, b):
    inputs, targets = logic_gate("XOR")
    fired = ACTIVATIONS["step"](inputs @ np.array([w1, w2], float) + b)
    return int(np.sum(fired != targets))


XOR_ERRORS = Exercise(
    number="1.5",
    title="counting a neuron's mistakes on XOR",
    points=2,
    answer="xor_errors",
    arg_names=("w1", "w2", "b"),
    cases=(
        Case((1.0, 1.0, -0.5)),  # OR: wrong only on (1, 1)
        Case((1.0, 1.0, -1.5)),  # AND: wrong on (0, 1) and (1, 0)
        Case((-1.0, -1.0, 0.5)),  # NOR
        Case((1.0, -1.0, -0.5)),
        Case((0.0, 0.0, 1.0)),  # always fires
        Case((0.0, 0.0, -1.0)),  # never fires
    ),
    reference=_xor_errors,
    diagnoses=(
        Diagnosis(
            "this counts the points the neuron gets right; count the wrong ones.",
            lambda w1, w2, b: 4 - _xor_errors(w1, w2, b),
        ),
    ),
)

EXERCISES = (NEURON, LAYER, OR_GATE, NAND_GATE, XOR_ERRORS)

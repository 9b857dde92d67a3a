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


def _strict_step(z):
    return np.where(z > 0, 1.0, 0.0)  # the plausible mistake: silent at z = 0


# ---------------------------------------------------------------------------
# 1.1 A neuron with a chosen activation (implementation).


def _neuron(x, w, b, activation, table=None):
    z = np.dot(np.asarray(x, float), np.asarray(w, float)) + b
    functions = dict(ACTIVATIONS, **(table or {}))
    return float(functions[activation](z))


def _neuron_without_bias(x, w, b, activation):
    return _neuron(x, w, 0.0, activation)


def _neuron_without_activation(x, w, b, activation):
    return _neuron(x, w, b, "identity")


def _neuron_bias_after_activation(x, w, b, activation):
    return _neuron(x, w, 0.0, activation) + b


def _neuron_with_strict_step(x, w, b, activation):
    return _neuron(x, w, b, activation, {"step": _strict_step})


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
        # z is exactly 0 (every number here is exact in binary): the step fires
        Case((np.array([1.0, 1.0]), np.array([1.0, 1.0]), -2.0, "step")),
        Case((np.array([0.5, 0.25]), np.array([2.0, 4.0]), -2.0, "step")),
    ),
    reference=_neuron,
    diagnoses=(  # the first that matches a wrong output is shown
        Diagnosis(
            "here z is exactly 0, and the step fires once z *reaches* 0: "
            "use z >= 0, not z > 0.",
            _neuron_with_strict_step,
        ),
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


# ---------------------------------------------------------------------------
# 1.2 The steepest slope of a sigmoid neuron (derivation).


def _norm(w) -> float:
    return float(np.linalg.norm(np.asarray(w, dtype=float)))


def _steepest_slope(w, b):
    # |grad_x sigma(x w + b)| = sigma'(z) |w|, largest at z = 0 where sigma' = 1/4;
    # some input reaches z = 0 whatever b is (when w is not zero).
    return _norm(w) / 4


def _sigmoid_slope(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return float(s * (1 - s))


STEEPEST_SLOPE = Exercise(
    number="1.2",
    title="the steepest slope of a sigmoid neuron",
    points=3,
    answer="steepest_slope",
    arg_names=("w", "b"),
    cases=(
        Case((np.array([8.0, 8.0]), -10.0)),
        Case((np.array([3.0, 4.0]), 0.0)),
        Case((np.array([3.0, 4.0]), 5.0)),  # the bias changes where, not how steep
        Case((np.array([-2.0, 0.0, 0.0]), 1.0)),
        Case((np.array([0.5]), -3.0)),
        Case((np.array([0.0, 0.0]), 2.0)),  # no weights: a flat neuron
    ),
    reference=_steepest_slope,
    diagnoses=(
        Diagnosis(
            "this is the length of w; it is multiplied by the sigmoid's slope "
            "sigma'(z), which is at most 1/4.",
            lambda w, b: _norm(w),
        ),
        Diagnosis(
            "sigma'(0) = sigma(0) (1 - sigma(0)) = 1/2 * 1/2 = 1/4, not 1/2.",
            lambda w, b: _norm(w) / 2,
        ),
        Diagnosis(
            "this adds up |w_i|; the gradient's length is the square root of the "
            "sum of the squares of its entries.",
            lambda w, b: float(np.sum(np.abs(np.asarray(w, float)))) / 4,
        ),
        Diagnosis(
            "this is the steepest slope along one input axis; moving the input in "
            "the direction of w itself is steeper.",
            lambda w, b: float(np.max(np.abs(np.asarray(w, float)))) / 4,
        ),
        Diagnosis(
            "this is the slope at the input x = 0. The steepest is where z = 0, "
            "and some input reaches z = 0 whatever b is.",
            lambda w, b: _sigmoid_slope(b) * _norm(w),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 1.3 Weights for an OR gate (design).


def _is_numbers(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (tuple, list)) and all(
        type(v) in (int, float) for v in value
    )


def _three_numbers(value, name: str):
    """(w1, w2, b) as floats, or (None, message)."""
    numbers = np.asarray(value, dtype=float) if _is_numbers(value) else None
    if numbers is None or numbers.shape != (3,):
        return None, f"`{name}` should be three numbers (w1, w2, b), got {value!r}."
    if not np.all(np.isfinite(numbers)):
        return None, f"`{name}` holds a value that is not finite: {numbers}."
    return numbers, ""


def _output_rows(inputs, targets, outputs, right) -> list[str]:
    return [
        f"x=({x1:g}, {x2:g}): target {t:g}, output {o:.4f}"
        + ("" if ok else "  <- should be " + (">= 0.9" if t == 1 else "<= 0.1"))
        for (x1, x2), t, o, ok in zip(inputs, targets, outputs, right, strict=False)
    ]


def _gate_judge(gate: str, name: str):
    inputs, targets = logic_gate(gate)

    def judge_value(value) -> tuple[bool, str]:
        numbers, problem = _three_numbers(value, name)
        if numbers is None:
            return False, problem
        w1, w2, b = numbers
        outputs = ACTIVATIONS["sigmoid"](inputs @ np.array([w1, w2]) + b)
        right = np.where(targets == 1, outputs >= 0.9, outputs <= 0.1)
        if right.all():
            return True, ""
        rows = _output_rows(inputs, targets, outputs, right)
        return False, (
            f"A sigmoid neuron with (w1, w2, b) = ({w1:g}, {w2:g}, {b:g}) does not yet "
            f"compute {gate}:\n" + "\n".join("  " + r for r in rows)
        )

    return judge_value


OR_GATE = Exercise(
    number="1.3",
    title="weights for an OR gate",
    points=2,
    answer="or_weights",
    judge_value=_gate_judge("OR", "or_weights"),
)


# ---------------------------------------------------------------------------
# 1.4 One neuron with a bump activation that computes XOR (design).


def bump(z):
    """The non-monotone activation of exercise 1.4: exp(-z**2)."""
    return np.exp(-np.square(z))


def _judge_bump(value) -> tuple[bool, str]:
    numbers, problem = _three_numbers(value, "bump_weights")
    if numbers is None:
        return False, problem
    w1, w2, b = numbers
    inputs, targets = logic_gate("XOR")
    z = inputs @ np.array([w1, w2]) + b
    outputs = bump(z)
    right = np.where(targets == 1, outputs >= 0.9, outputs <= 0.1)
    if right.all():
        return True, ""
    lines = [
        f"The neuron exp(-z^2) with (w1, w2, b) = ({w1:g}, {w2:g}, {b:g}) does not "
        "yet compute XOR:",
        *(
            "  " + row + f"  (z = {zi:g})"
            for row, zi in zip(
                _output_rows(inputs, targets, outputs, right), z, strict=True
            )
        ),
    ]
    near, far = np.abs(z[targets == 1]), np.abs(z[targets == 0])
    if near.max() < far.min():
        lines.append(
            "Hint: the XOR-1 inputs are already closer to z = 0 than the XOR-0 "
            "inputs; scale the weights and the bias together to sharpen the bump's "
            "edges."
        )
    else:
        lines.append(
            "Hint: the bump is high only near z = 0. Put z = 0 at the two XOR-1 "
            "inputs and make |z| large at (0, 0) and (1, 1)."
        )
    return False, "\n".join(lines)


BUMP_XOR = Exercise(
    number="1.4",
    title="one neuron with a bump activation that computes XOR",
    points=2,
    answer="bump_weights",
    judge_value=_judge_bump,
)


# ---------------------------------------------------------------------------
# 1.5 Counting a neuron's mistakes on XOR (implementation).


def _xor_errors(w1, w2, b, step=ACTIVATIONS["step"]):
    inputs, targets = logic_gate("XOR")
    fired = step(inputs @ np.array([w1, w2], float) + b)
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
        Case((1.0, 2.0, -1.0)),  # z = 0 at (1, 0): the step fires there
        Case((2.0, 1.0, -1.0)),  # z = 0 at (0, 1)
    ),
    reference=_xor_errors,
    diagnoses=(
        Diagnosis(
            "some weighted sums here are exactly 0, and the step fires once z "
            "reaches 0: use z >= 0, not z > 0.",
            lambda w1, w2, b: _xor_errors(w1, w2, b, step=_strict_step),
        ),
        Diagnosis(
            "this counts the points the neuron gets right; count the wrong ones.",
            lambda w1, w2, b: 4 - _xor_errors(w1, w2, b),
        ),
    ),
)

EXERCISES = (NEURON, STEEPEST_SLOPE, OR_GATE, BUMP_XOR, XOR_ERRORS)

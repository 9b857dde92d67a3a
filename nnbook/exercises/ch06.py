"""Exercises of chapter 6, Backpropagation (``solutions/06_backpropagation.ipynb``)."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise

H = 1e-6  # the finite-difference step of the references and of exercise 6.4


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=float))


def _central(function, x):
    """Central difference of a one-argument function, as the references use it."""
    x = np.asarray(x, dtype=float)
    return (function(x + H) - function(x - H)) / (2 * H)


# ---------------------------------------------------------------------------
# 6.1: the backward rule of softplus, checked by finite differences


def _softplus_backward(x, grad_out):
    return _central(_softplus, x) * grad_out


SOFTPLUS = Exercise(
    number="6.1",
    title="the backward rule of softplus",
    points=2,
    answer="softplus_backward",
    arg_names=("x", "grad_out"),
    cases=(
        Case((0.7, 1.0)),
        Case((-0.5, 2.5)),
        Case((0.0, -0.3)),
        Case((3.0, 0.5)),
        Case((-4.0, 1.5)),
        Case((15.0, 2.0)),
        Case((np.array([-2.0, 0.0, 2.0]), np.array([1.0, -1.0, 0.25]))),
    ),
    reference=_softplus_backward,
    diagnoses=(
        Diagnosis(
            "this is the local derivative alone: multiply it by grad_out, the "
            "gradient arriving from above (the chain rule).",
            lambda x, g: _sigmoid(x) + 0 * np.asarray(g, dtype=float),
        ),
        Diagnosis(
            "1 / (1 + e^x) is sigma(-x). The derivative of log(1 + e^x) is "
            "e^x / (1 + e^x) = sigma(x).",
            lambda x, g: _sigmoid(-np.asarray(x, dtype=float)) * g,
        ),
        Diagnosis(
            "e^x is the derivative of the inside only: d/dx log(u) = u' / u, so "
            "divide by 1 + e^x.",
            lambda x, g: np.exp(np.asarray(x, dtype=float)) * g,
        ),
        Diagnosis(
            "this is the forward value log(1 + e^x) times grad_out; the backward "
            "rule needs its derivative.",
            lambda x, g: _softplus(x) * g,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 6.2: the backward rule of division


def _divide_backward(a, b, grad_out):
    grad_a = _central(lambda t: t / b, a) * grad_out
    grad_b = _central(lambda t: a / t, b) * grad_out
    return float(grad_a), float(grad_b)


def _divide_wrong(grad_b):
    return lambda a, b, g: (g / b, grad_b(a, b, g))


DIVIDE = Exercise(
    number="6.2",
    title="the backward rule of division",
    points=3,
    answer="divide_backward",
    arg_names=("a", "b", "grad_out"),
    cases=(
        Case((3.0, 2.0, 1.0)),
        Case((-1.5, 0.5, 2.0)),
        Case((2.0, -4.0, -1.0)),
        Case((0.0, 3.0, 1.5)),  # a = 0: the quotient does not change with b
        Case((1.0, 1.0, 1.0)),
        Case((5.0, 0.25, 0.5)),
    ),
    reference=_divide_backward,
    diagnoses=(
        Diagnosis(
            "the sign of the gradient for b: d(a/b)/db = -a/b^2 (for positive a "
            "the quotient falls as b grows).",
            _divide_wrong(lambda a, b, g: g * a / b**2),
        ),
        Diagnosis(
            "the gradient for b lacks the numerator: d(a/b)/db = -a/b^2, not -1/b^2.",
            _divide_wrong(lambda a, b, g: -g / b**2),
        ),
        Diagnosis(
            "the gradient for b needs b squared: d(a/b)/db = -a/b^2.",
            _divide_wrong(lambda a, b, g: -g * a / b),
        ),
        Diagnosis(
            "multiply both local derivatives by grad_out, the gradient arriving "
            "from above (the chain rule).",
            lambda a, b, g: (1 / b, -a / b**2),
        ),
        Diagnosis(
            "the two gradients are swapped: return (d/da, d/db) in that order.",
            lambda a, b, g: (-g * a / b**2, g / b),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 6.3: predict the 2-2-1 network's gradients after b1_2 changes


def _two_two_one(b1_2):
    """(dL/dW2_1, dL/dW2_2, dL/db1_2) of chapter 6's worked example, row convention."""
    x = np.array([[0.5, 0.1]])
    W1 = np.array([[0.4, 0.2], [0.3, 0.7]]).T
    b1 = np.array([0.1, b1_2])
    W2 = np.array([[0.6], [0.9]])
    b2, y = 0.2, 0.8
    z1 = x @ W1 + b1
    a1 = np.maximum(z1, 0.0)
    delta2 = (a1 @ W2 + b2 - y)[0, 0]
    delta1 = delta2 * W2[:, 0] * (z1[0] > 0)
    return a1[0, 0] * delta2, a1[0, 1] * delta2, delta1[1]


NEW_B1_2 = 0.1


def _judge_prediction(value) -> tuple[bool, str]:
    numbers = _numbers(value)
    if numbers is None or numbers.shape != (3,):
        return False, (
            "`predicted_gradients` should be three numbers "
            f"(dL/dW2_1, dL/dW2_2, dL/db1_2), got {value!r}."
        )
    expected = np.array(_two_two_one(NEW_B1_2))
    if np.allclose(numbers, expected, rtol=0, atol=1e-6):
        return True, ""
    before = np.array(_two_two_one(-0.3))
    lines = [f"Your prediction {_show(numbers)} is not yet right."]
    if np.allclose(numbers, before, rtol=0, atol=1e-6):
        lines.append(
            "These are the gradients before the change. With b1_2 = 0.1, redo the "
            "forward pass first: z1_2, a1_2 and y_hat all change."
        )
    elif np.allclose(numbers, -expected, rtol=0, atol=1e-6):
        lines.append("The signs are flipped: the output error is delta2 = y_hat - y.")
    elif abs(numbers[2]) < 1e-12:
        lines.append(
            "dL/db1_2 is not 0 any more: with b1_2 = 0.1, z1_2 = 0.32 > 0, so "
            "hidden unit 2 is active and its ReLU slope is 1."
        )
    elif np.allclose(numbers[:2], 0.32 * -0.408, rtol=0, atol=1e-6):
        lines.append(
            "delta2 is still the old one (-0.408); the new forward pass changes "
            "y_hat, so compute delta2 = y_hat - y again."
        )
    else:
        wrong = [
            name
            for name, n, e in zip(
                ("dL/dW2_1", "dL/dW2_2", "dL/db1_2"), numbers, expected, strict=True
            )
            if abs(n - e) > 1e-6
        ]
        lines.append(f"Check {', '.join(wrong)}: (BP2) and (BP4), step by step.")
    return False, "\n".join(lines)


def _numbers(value):
    if isinstance(value, np.ndarray):
        return value.astype(float) if value.dtype.kind in "biuf" else None
    if isinstance(value, (tuple, list)) and all(type(v) in (int, float) for v in value):
        return np.array(value, dtype=float)
    return None


def _show(numbers) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in numbers) + ")"


PREDICTION = Exercise(
    number="6.3",
    title="the 2-2-1 network's gradients after a change of bias",
    points=2,
    answer="predicted_gradients",
    judge_value=_judge_prediction,
)


# ---------------------------------------------------------------------------
# 6.4 and 6.5: a gradient check for a suspect backward pass, and the bug it finds


def suspect_backward(X, W1, b1, W2, b2, Y):
    """The backward pass the exercise notebook hands out (line 4 is wrong)."""
    Z1 = X @ W1 + b1
    A1 = np.tanh(Z1)
    Y_hat = A1 @ W2 + b2
    delta2 = (Y_hat - Y) / len(X)  # line 1
    dW2 = A1.T @ delta2  # line 2
    db2 = delta2.sum(axis=0)  # line 3
    dA1 = delta2 @ W2  # line 4
    delta1 = dA1 * (1 - A1**2)  # line 5
    dW1 = X.T @ delta1  # line 6
    db1 = delta1.sum(axis=0)  # line 7
    return dW1, db1, dW2, db2


BUGGY_LINE = 4


def _loss(X, W1, b1, W2, b2, Y, half=True, mean=True):
    Y_hat = np.tanh(X @ W1 + b1) @ W2 + b2
    total = np.sum((Y_hat - Y) ** 2)
    return total * (0.5 if half else 1.0) / (len(X) if mean else 1.0)


def _numeric(params, index, forward=False, **loss_options):
    """Finite-difference gradient of the loss with respect to params[index]."""
    theta = params[index]
    base = _loss(*params, **loss_options)
    grad = np.zeros(theta.shape)
    for i in np.ndindex(theta.shape):
        saved = theta[i]
        theta[i] = saved + H
        up = _loss(*params, **loss_options)
        theta[i] = saved - H
        down = _loss(*params, **loss_options)
        theta[i] = saved
        grad[i] = (up - base) / H if forward else (up - down) / (2 * H)
    return grad


def _norm_error(a, b):
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _elementwise_error(a, b):
    scale = np.abs(a) + np.abs(b)
    ratios = np.divide(np.abs(a - b), scale, out=np.zeros_like(scale), where=scale > 0)
    return float(ratios.max())


def _gradient_errors(X, W1, b1, W2, b2, Y, forward=False, error=_norm_error, **opts):
    params = [np.array(p, dtype=float) for p in (X, W1, b1, W2, b2, Y)]
    analytic = suspect_backward(*params)
    return tuple(
        error(grad, _numeric(params, index, forward=forward, **opts))
        for grad, index in zip(analytic, (1, 2, 3, 4), strict=True)
    )


def _check_cases(seeds=(40, 41, 42)):
    cases = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        cases.append(
            Case(
                (
                    rng.normal(size=(4, 3)),
                    rng.normal(size=(3, 3)),
                    rng.normal(size=3),
                    rng.normal(size=(3, 3)),
                    rng.normal(size=3),
                    rng.normal(size=(4, 3)),
                )
            )
        )
    return tuple(cases)


GRADIENT_CHECK = Exercise(
    number="6.4",
    title="a gradient check for a suspect backward pass",
    points=3,
    answer="gradient_errors",
    arg_names=("X", "W1", "b1", "W2", "b2", "Y"),
    cases=_check_cases(),
    reference=_gradient_errors,
    rtol=1e-4,
    atol=1e-7,
    diagnoses=(
        Diagnosis(
            "use central differences, (L(theta + h) - L(theta - h)) / 2h: a "
            "one-sided difference is off by about h, which shows as relative errors "
            "near 1e-6 even for a correct gradient.",
            lambda *args: _gradient_errors(*args, forward=True),
        ),
        Diagnosis(
            "the loss must be the one the backward pass differentiates, with the "
            "1/2: L = sum((Y_hat - Y)**2) / (2 m).",
            lambda *args: _gradient_errors(*args, half=False),
        ),
        Diagnosis(
            "the loss must be averaged over the m examples: "
            "L = sum((Y_hat - Y)**2) / (2 m).",
            lambda *args: _gradient_errors(*args, mean=False),
        ),
        Diagnosis(
            "use the chapter's relative error of whole arrays, "
            "||g - g_num|| / (||g|| + ||g_num||), not the largest elementwise ratio.",
            lambda *args: _gradient_errors(*args, error=_elementwise_error),
        ),
    ),
)


def _judge_line(value) -> tuple[bool, str]:
    if type(value) is not int:
        return False, (
            f"`buggy_line` should be a whole number from 1 to 7, got {value!r}."
        )
    if value == BUGGY_LINE:
        return True, ""
    if value in (1, 2, 3):
        return False, (
            f"Line {value} takes part in the gradients of W2 and b2, and your check "
            "finds those right. Look at what carries the error further down."
        )
    if value in (5, 6, 7):
        return False, (
            f"Line {value} is right for the values it receives: it follows (BP2), "
            "(BP3) or (BP4) exactly. The error enters before it."
        )
    return False, f"There is no line {value}: the lines are numbered 1 to 7."


BUG = Exercise(
    number="6.5",
    title="locating the bug the check found",
    points=2,
    answer="buggy_line",
    judge_value=_judge_line,
)


# ---------------------------------------------------------------------------
# 6.6: the backward pass of a layer whose weight is stored as (n_out, n_in)


def _slope(name, Z, at_zero=0.0):
    if name == "relu":
        return np.where(Z > 0, 1.0, np.where(Z == 0, at_zero, 0.0))
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    return np.ones_like(Z)


def _linear_backward(
    A_prev,
    W_t,
    b,
    dA,
    activation,
    slope_at_zero=0.0,
    use_slope=True,
    transpose_back=False,
    weight="right",
    bias="right",
):
    A_prev, W_t, b, dA = (np.asarray(v, dtype=float) for v in (A_prev, W_t, b, dA))
    Z = A_prev @ W_t.T + b
    delta = dA * _slope(activation, Z, slope_at_zero) if use_slope else dA
    dA_prev = delta @ W_t.T if transpose_back else delta @ W_t
    dW_t = {"right": delta.T @ A_prev, "row": A_prev.T @ delta}[weight]
    db = {
        "right": delta.sum(axis=0),
        "unsummed": delta,
        "axis1": delta.sum(axis=1),
        "keepdims": delta.sum(axis=0, keepdims=True),
    }[bias]
    return dA_prev, dW_t, db


def _layer_cases():
    rng = np.random.default_rng(60)
    # integers that make some weighted sums exactly 0 (ReLU's kink)
    kink_A = np.array([[1.0, -1.0, 0.0], [2.0, 1.0, -3.0], [0.5, 0.5, 1.0]])
    kink_W = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 2.0, -1.0]])
    return (
        Case(
            (
                rng.normal(size=(4, 3)),
                rng.normal(size=(2, 3)),
                rng.normal(size=2),
                rng.normal(size=(4, 2)),
                "tanh",
            )
        ),
        Case((kink_A, kink_W, np.zeros(3), rng.normal(size=(3, 3)), "relu")),
        Case(
            (
                rng.normal(size=(1, 2)),
                rng.normal(size=(2, 2)),
                rng.normal(size=2),
                rng.normal(size=(1, 2)),
                "identity",
            )
        ),
        Case(
            (
                rng.normal(size=(5, 3)),
                rng.normal(size=(3, 3)),
                rng.normal(size=3),
                rng.normal(size=(5, 3)),
                "relu",
            )
        ),
        Case(
            (
                rng.normal(size=(5, 2)),
                rng.normal(size=(4, 2)),
                rng.normal(size=4),
                rng.normal(size=(5, 4)),
                "tanh",
            )
        ),
    )


def _wrong_layer(**how):
    return lambda *args: _linear_backward(*args, **how)


LINEAR_BACKWARD = Exercise(
    number="6.6",
    title="the backward pass of a layer stored as PyTorch stores it",
    points=3,
    answer="linear_backward",
    arg_names=("A_prev", "W_t", "b", "dA", "activation"),
    cases=_layer_cases(),
    reference=_linear_backward,
    diagnoses=(
        Diagnosis(
            "dW_t has the shape of W_t, (n_out, n_in): it is delta.T @ A_prev. "
            "A_prev.T @ delta is the gradient of W = W_t.T, the row convention's.",
            _wrong_layer(weight="row"),
        ),
        Diagnosis(
            "dA_prev = delta @ W_t: the layer computes A_prev @ W_t.T, so going back "
            "undoes one transpose (delta @ W_t.T would be the row convention's "
            "formula applied to the wrong matrix).",
            _wrong_layer(transpose_back=True),
        ),
        Diagnosis(
            "the bias is added to every example, so its gradient sums delta over "
            "the batch: db = delta.sum(axis=0), shape (n_out,).",
            _wrong_layer(bias="unsummed"),
        ),
        Diagnosis(
            "db is summed over the wrong axis: sum over the examples (axis 0), "
            "which leaves one number per unit, shape (n_out,).",
            _wrong_layer(bias="axis1"),
        ),
        Diagnosis(
            "db should have shape (n_out,), like b: sum without keepdims.",
            _wrong_layer(bias="keepdims"),
        ),
        Diagnosis(
            "the slope f'(Z) is missing: delta = dA * f'(Z), with "
            "Z = A_prev @ W_t.T + b.",
            _wrong_layer(use_slope=False),
        ),
        Diagnosis(
            "ReLU's slope at z = 0 is 0 in this book (np.where(z > 0, 1, 0)), and "
            "some weighted sums here are exactly 0.",
            _wrong_layer(slope_at_zero=1.0),
        ),
    ),
)

EXERCISES = (SOFTPLUS, DIVIDE, PREDICTION, GRADIENT_CHECK, BUG, LINEAR_BACKWARD)

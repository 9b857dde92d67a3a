"""Exercises of chapter 3, Activation functions (``solutions/03_activations.ipynb``).

3.1 is an implementation the chapter did not write (a batched, stable
log-sum-exp); 3.2 and 3.3 are derivations (checked against the exact derivative,
which ``tests/test_checks_ch03.py`` confirms with SymPy and finite differences);
3.4 asks for predictions, 3.5 for a design and 3.6 for the result of an
experiment.
"""

from __future__ import annotations

import math

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _quietly(function):
    """``function`` with NumPy's overflow and 0/0 warnings silenced.

    A wrong answer is recomputed by the judge to recognise a mistake; its
    overflow is expected there and must not print warnings into the feedback.
    """

    def wrapped(*args):
        with np.errstate(all="ignore"):
            return function(*args)

    return wrapped


def _softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    exps = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# 3.1 log-sum-exp along the last axis


def _logsumexp(Z):
    Z = np.asarray(Z, dtype=float)
    top = np.max(Z, axis=-1, keepdims=True)
    return np.squeeze(top, axis=-1) + np.log(np.sum(np.exp(Z - top), axis=-1))


@_quietly
def _logsumexp_without_shift(Z):
    return np.log(np.sum(np.exp(np.asarray(Z, dtype=float)), axis=-1))


@_quietly
def _logsumexp_down_columns(Z):
    Z = np.asarray(Z, dtype=float)
    top = np.max(Z, axis=0, keepdims=True)
    return np.squeeze(top, axis=0) + np.log(np.sum(np.exp(Z - top), axis=0))


@_quietly
def _logsumexp_keepdims(Z):
    Z = np.asarray(Z, dtype=float)
    top = np.max(Z, axis=-1, keepdims=True)
    return top + np.log(np.sum(np.exp(Z - top), axis=-1, keepdims=True))


@_quietly
def _logsumexp_max_not_added_back(Z):
    Z = np.asarray(Z, dtype=float)
    top = np.max(Z, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(Z - top), axis=-1))


@_quietly
def _logsumexp_shifted_by_batch_max(Z):
    Z = np.asarray(Z, dtype=float)
    top = np.max(Z)
    return top + np.log(np.sum(np.exp(Z - top), axis=-1))


@_quietly
def _logsumexp_shifted_by_mean(Z):
    Z = np.asarray(Z, dtype=float)
    centre = np.mean(Z, axis=-1, keepdims=True)
    return np.squeeze(centre, axis=-1) + np.log(np.sum(np.exp(Z - centre), axis=-1))


LOGSUMEXP = Exercise(
    number="3.1",
    title="log-sum-exp of each row, without overflow",
    points=2,
    answer="logsumexp",
    arg_names=("Z",),
    cases=(
        Case((np.array([2.0, 1.0, 0.5]),)),
        Case((np.array([1000.0, 999.0, 998.0]),)),  # naive: log(inf)
        Case((np.array([-1000.0, -1001.0, -1002.0]),)),  # naive: log(0)
        Case((np.array([3.0]),)),
        Case((np.array([[2.0, 1.0, 0.5], [1000.0, 999.0, 998.0]]),)),  # (2, 3)
        Case((np.array([[0.0, 1.0], [2.0, 4.0], [-1.0, -1.0]]),)),  # (3, 2)
        Case(  # square: the wrong axis gives the right shape but wrong values
            (
                np.array(
                    [
                        [1000.0, 999.0, 998.0],
                        [-1000.0, -1001.0, -1002.0],
                        [0.0, 0.0, 0.0],
                    ]
                ),
            )
        ),
        Case((np.array([[-1000.0, 0.0, 1000.0]]),)),  # the mean is 0 here
    ),
    reference=_logsumexp,
    diagnoses=(
        # before the unshifted one: both overflow on [-1000, 0, 1000]
        Diagnosis(
            "subtracting the mean guarantees nothing: a score far above the mean "
            "still overflows. Subtract the row's largest score.",
            _logsumexp_shifted_by_mean,
        ),
        Diagnosis(
            "exp overflowed to inf (or every exp underflowed to 0, and log(0) = "
            "-inf): subtract each row's largest score m first and add it back, "
            "LSE(z) = m + log(sum(exp(z - m))).",
            _logsumexp_without_shift,
        ),
        Diagnosis(
            "this works down the columns (axis 0). Each row is one example: take "
            "the max and the sum along the last axis (axis=-1).",
            _logsumexp_down_columns,
        ),
        Diagnosis(
            "the values are right but the shape keeps the summed axis: a batch of "
            "shape (m, K) gives one number per row, shape (m,), and one row of "
            "shape (K,) gives a single number. Drop keepdims=True at the end (or "
            "squeeze that axis).",
            _logsumexp_keepdims,
        ),
        Diagnosis(
            "the largest score was subtracted but never added back: "
            "LSE(z) = m + log(sum(exp(z - m))).",
            _logsumexp_max_not_added_back,
        ),
        Diagnosis(
            "this subtracts the largest score of the whole batch, so the "
            "exponentials of a row far below it all underflow to 0 and log gives "
            "-inf. Subtract each row's own max: np.max(Z, axis=-1, keepdims=True).",
            _logsumexp_shifted_by_batch_max,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 3.2 the slope of swish


def _sigmoid(u):
    # 1 / (1 + exp(-u)), written with tanh so that no exp can overflow
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=float)))


def _swish_slope(z, beta):
    s = _sigmoid(beta * np.asarray(z, dtype=float))
    return s + beta * z * s * (1.0 - s)


def _swish_slope_without_product_rule(z, beta):
    return _sigmoid(beta * np.asarray(z, dtype=float))


def _swish_slope_second_term_only(z, beta):
    s = _sigmoid(beta * np.asarray(z, dtype=float))
    return beta * z * s * (1.0 - s)


def _swish_slope_without_inner_beta(z, beta):
    s = _sigmoid(beta * np.asarray(z, dtype=float))
    return s + z * s * (1.0 - s)


def _swish_slope_of_sigma_z(z, beta):
    s = _sigmoid(np.asarray(z, dtype=float))
    return s + beta * z * s * (1.0 - s)


def _swish_itself(z, beta):
    return z * _sigmoid(beta * np.asarray(z, dtype=float))


SWISH_SLOPE = Exercise(
    number="3.2",
    title="the slope of swish, z times sigmoid(beta z)",
    points=2,
    answer="swish_slope",
    arg_names=("z", "beta"),
    cases=(
        Case((0.0, 1.0)),
        Case((np.array([-3.0, -1.0, 0.0, 1.0, 3.0]), 1.0)),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]), 2.0)),
        Case((np.array([-4.0, 1.0, 4.0]), 0.5)),
        Case((np.array([[-1.5, 0.0], [0.7, 2.5]]), 1.7)),
        Case((np.array([-40.0, 40.0]), 1.0)),  # saturated: slope 0 and 1
    ),
    reference=_swish_slope,
    diagnoses=(
        Diagnosis(
            "this is sigma(beta z) alone: z * sigma(beta z) is a product, so the "
            "product rule adds a second term, z times the derivative of "
            "sigma(beta z).",
            _swish_slope_without_product_rule,
        ),
        Diagnosis(
            "only the second term of the product rule is here; the first is "
            "(dz/dz) * sigma(beta z) = sigma(beta z).",
            _swish_slope_second_term_only,
        ),
        Diagnosis(
            "the chain rule's inner factor is missing: d/dz sigma(beta z) = "
            "beta * sigma'(beta z), and sigma' = sigma (1 - sigma).",
            _swish_slope_without_inner_beta,
        ),
        Diagnosis(
            "sigma is evaluated at z, but swish uses sigma(beta z) in both terms.",
            _swish_slope_of_sigma_z,
        ),
        Diagnosis(
            "this is swish itself, z * sigma(beta z), not its slope.",
            _swish_itself,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 3.3 the Jacobian of log-softmax


def _log_softmax_jacobian(z):
    z = np.asarray(z, dtype=float)
    p = _softmax(z)
    return np.eye(z.size) - p[None, :]  # row i is e_i - p


def _log_softmax_jacobian_transposed(z):
    z = np.asarray(z, dtype=float)
    p = _softmax(z)
    return np.eye(z.size) - p[:, None]


def _softmax_jacobian(z):
    p = _softmax(z)
    return np.diag(p) - np.outer(p, p)


def _log_softmax_jacobian_without_identity(z):
    z = np.asarray(z, dtype=float)
    return -np.tile(_softmax(z), (z.size, 1))


def _log_softmax_jacobian_sign_flipped(z):
    return -_log_softmax_jacobian(z)


def _log_softmax_jacobian_diagonal_only(z):
    return np.diag(1.0 - _softmax(z))


@_quietly
def _log_softmax_jacobian_of_naive_softmax(z):
    z = np.asarray(z, dtype=float)
    exps = np.exp(z)
    p = exps / np.sum(exps)
    return np.eye(z.size) - p[None, :]


LOG_SOFTMAX_JACOBIAN = Exercise(
    number="3.3",
    title="the Jacobian of log-softmax",
    points=3,
    answer="log_softmax_jacobian",
    arg_names=("z",),
    cases=(
        Case((np.array([2.0, 1.0, 0.5]),)),
        Case((np.array([0.0, 0.0]),)),
        Case((np.array([-1.0, 0.0, 1.0, 2.0]),)),
        Case((np.array([1000.0, 999.0, 998.0]),)),
        Case((np.array([-1000.0, 0.0, 1000.0]),)),
        Case((np.array([3.0]),)),
    ),
    reference=_log_softmax_jacobian,
    diagnoses=(
        Diagnosis(
            "this is the transpose: entry [i, j] is d log p_i / d z_j = "
            "delta_ij - p_j, so every ROW equals e_i - p (the same p in each row, "
            "p[None, :]), not every column.",
            _log_softmax_jacobian_transposed,
        ),
        Diagnosis(
            "this is the Jacobian of softmax, diag(p) - p^T p. Log-softmax is "
            "log p_i = z_i - LSE(z); differentiate that instead.",
            _softmax_jacobian,
        ),
        Diagnosis(
            "the derivative of z_i with respect to z_j (the identity matrix) is "
            "missing: d log p_i / d z_j = delta_ij - p_j.",
            _log_softmax_jacobian_without_identity,
        ),
        Diagnosis(
            "the sign is flipped: raising z_i raises log p_i, so the diagonal is "
            "1 - p_i > 0.",
            _log_softmax_jacobian_sign_flipped,
        ),
        Diagnosis(
            "only the diagonal is there: log p_i depends on every score through "
            "LSE(z), so off the diagonal the entries are -p_j.",
            _log_softmax_jacobian_diagonal_only,
        ),
        Diagnosis(
            "the softmax inside overflowed: compute p with the stable softmax "
            "that subtracts the largest score first.",
            _log_softmax_jacobian_of_naive_softmax,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 3.4 predictions for chains of one-neuron layers

# (description, exact value, {plausible wrong value: hint})
_CHAINS = (
    (
        "(a) ReLU, w = 1.5, b = 0, x = 1",
        1.5**10,
        {
            1.0: "ReLU's slope is 1 here, but each factor is w * f'(z) = 1.5.",
            15.0: "the ten factors multiply; they do not add.",
            1.5: "there is one factor w * f'(z) per layer, ten in all.",
        },
    ),
    (
        "(b) ReLU, w = -1, b = 0, x = 1",
        0.0,
        {
            1.0: "(-1)^10 = 1 forgets the ReLU: z[1] = -1 < 0, so the first slope "
            "is 0.",
            -1.0: "z[1] = -1 < 0, so the first slope is 0, and every later factor "
            "is multiplied by it.",
        },
    ),
    (
        "(c) sigmoid, w = 8, b = -4, x = 0.5",
        2.0**10,
        {
            0.25**10: "each factor is w * sigma'(z), and the weight 8 counts: "
            "z = 8 * 0.5 - 4 = 0 at every layer, so the factor is 8 / 4.",
            8.0**10: "sigma'(0) = 1/4, so each factor is 8 * 1/4.",
            2.0: "there is one factor of 2 per layer, ten in all.",
        },
    ),
    (
        "(d) leaky ReLU with alpha = 0.01, w = -1, b = 0, x = 1",
        0.01**5,
        {
            0.01**10: "not every z is negative: a[1] = -0.01, so z[2] = +0.01 and "
            "the slopes alternate between alpha and 1.",
            0.0: "leaky ReLU's slope is alpha, never 0.",
            -(0.01**5): "check the sign: the factors are -alpha, -1, -alpha, ... "
            "and ten negative factors multiply to a positive number.",
            1.0: "leaky ReLU's slope is alpha where z <= 0, not 1.",
        },
    ),
)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-300) or (
        b == 0.0 and abs(a) < 1e-12
    )


def _judge_chain_predictions(value) -> tuple[bool, str]:
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()  # a NumPy array of the four numbers is fine too
    if not isinstance(value, (list, tuple)) or len(value) != len(_CHAINS):
        return False, (
            f"`chain_predictions` should be a list of {len(_CHAINS)} numbers, one "
            "per chain (a) to (d)."
        )
    lines, right = [], 0
    for (description, exact, hints), predicted in zip(_CHAINS, value, strict=True):
        if type(predicted) not in (int, float) or not math.isfinite(predicted):
            lines.append(f"{description}: expected a finite number, got {predicted!r}")
            continue
        if _close(float(predicted), exact):
            right += 1
            continue
        lines.append(f"{description}: expected {exact:.6g}, obtained {predicted:.6g}")
        for wrong, hint in hints.items():
            if _close(float(predicted), wrong):
                lines.append(f"  Hint: {hint}")
                break
        else:
            lines.append(
                "  Hint: write down z[1], a[1], z[2], ... for the first few layers; "
                "the gradient is the product of the factors w * f'(z[l])."
            )
    if right == len(_CHAINS):
        return True, "All four predictions are right."
    return False, "\n".join(
        [f"{len(_CHAINS) - right} of {len(_CHAINS)} predictions are wrong.", *lines]
    )


CHAIN_PREDICTIONS = Exercise(
    number="3.4",
    title="gradients through chains of neurons",
    points=2,
    answer="chain_predictions",
    judge_value=_judge_chain_predictions,
)


# ---------------------------------------------------------------------------
# 3.5 a bump built from ReLUs

_HAT_GRID = np.concatenate([np.linspace(-4.0, 4.0, 801), [-1.0, 0.0, 1.0]])
_MAX_TERMS = 10


def _hat(z):
    return np.maximum(0.0, 1.0 - np.abs(z))


def _relu_sum(terms, z):
    return sum(c * np.maximum(z - t, 0.0) for c, t in terms)


def _terms(value):
    """``value`` as a list of (coefficient, knot) float pairs, or an error text."""
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= _MAX_TERMS:
        return None, (
            f"`hat_terms` should be a list of 1 to {_MAX_TERMS} pairs "
            "(coefficient, knot)."
        )
    terms = []
    for item in value:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not all(type(v) in (int, float) and math.isfinite(v) for v in item)
        ):
            return None, (
                f"each term should be a pair of two finite numbers (coefficient, "
                f"knot); got {item!r}"
            )
        terms.append((float(item[0]), float(item[1])))
    return terms, ""


def _test_points(terms) -> np.ndarray:
    """The fixed grid plus every knot of the answer and points on both sides of it.

    Both the bump and the answer are piecewise linear with their corners at the
    knots, so agreeing at every knot and beyond the outermost ones means agreeing
    for every real z, also where a knot lies outside the grid.
    """
    knots = np.array([t for _, t in terms])
    around = np.concatenate([knots - 1.0, knots, knots + 1.0])
    return np.unique(np.concatenate([_HAT_GRID, around]))


def _judge_hat(value) -> tuple[bool, str]:
    terms, problem = _terms(value)
    if terms is None:
        return False, problem
    grid = _test_points(terms)
    target = _hat(grid)
    built = _relu_sum(terms, grid)
    wrong = np.abs(built - target) > 1e-9
    if not wrong.any():
        return True, f"Your {len(terms)} ReLUs draw the bump exactly."
    lines = [
        f"The sum differs from max(0, 1 - |z|) at {wrong.sum()} of "
        f"{grid.size} test points, for example:"
    ]
    order = np.argsort(np.abs(grid[wrong]))[:3]
    for z_value, want, got in zip(
        grid[wrong][order],
        target[wrong][order],
        built[wrong][order],
        strict=True,
    ):
        lines.append(f"  z = {z_value:g}: expected {want:.6g}, obtained {got:.6g}")
    swapped = [(t, c) for c, t in terms]
    if np.allclose(_relu_sum(swapped, grid), target, atol=1e-9):
        lines.append("Hint: each pair is (coefficient, knot), in that order.")
    elif abs(sum(c for c, _ in terms)) > 1e-9:
        lines.append(
            "Hint: right of every knot the slope is the sum of all coefficients, "
            "and the bump is flat (0) there, so the coefficients must add up to 0."
        )
    else:
        lines.append(
            "Hint: the slope changes by c at the knot t of each term c * "
            "ReLU(z - t). The bump's slope goes 0, then +1, then -1, then 0, "
            "changing at z = -1, 0 and 1."
        )
    return False, "\n".join(lines)


HAT = Exercise(
    number="3.5",
    title="a bump built from ReLUs",
    points=2,
    answer="hat_terms",
    judge_value=_judge_hat,
)


# ---------------------------------------------------------------------------
# 3.6 the weight scale that keeps ReLU gradients stable

_STABLE_LOW, _STABLE_HIGH = 1.7, 2.3


def _judge_stable_scale(value) -> tuple[bool, str]:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = float(value.ravel()[0])  # np.array(2.0) or a one-element array
    if type(value) not in (int, float) or not math.isfinite(value):
        return False, "`stable_scale` should be one number, the s^2 you found."
    s2 = float(value)
    if _STABLE_LOW <= s2 <= _STABLE_HIGH:
        return True, (
            f"s^2 = {s2:g} keeps the gradient level. Now explain why in the "
            "conclusion below; chapter 8 derives it."
        )
    if s2 < _STABLE_LOW:
        hint = (
            "with this scale the gradient still shrinks from layer to layer. Try "
            "larger s^2, and average the log of the length over a few seeds, since "
            "one random network is noisy."
        )
    else:
        hint = (
            "with this scale the gradient still grows from layer to layer. Try "
            "smaller s^2, and average the log of the length over a few seeds."
        )
    return False, f"s^2 = {s2:g} is not the stable scale: {hint}"


STABLE_SCALE = Exercise(
    number="3.6",
    title="the weight scale that keeps ReLU gradients stable",
    points=2,
    answer="stable_scale",
    judge_value=_judge_stable_scale,
)

EXERCISES = (
    LOGSUMEXP,
    SWISH_SLOPE,
    LOG_SOFTMAX_JACOBIAN,
    CHAIN_PREDICTIONS,
    HAT,
    STABLE_SCALE,
)

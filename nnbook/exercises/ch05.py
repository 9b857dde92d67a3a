"""Exercises of chapter 5, Gradient descent (solutions/05_gradient_descent.ipynb).

5.1 prediction (the best learning rate and the step count), 5.2 derivation (the
step of exact line search), 5.3 implementation (shuffled mini-batches),
5.4 experiment (how the loss floor of mini-batch descent falls with the batch
size), 5.5 implementation (a stopping rule that names what it stopped at).
Quadratics are written for rows, as in the chapter:
L(w) = 1/2 (w - w*) H (w - w*)^T, gradient (w - w*) H.
"""

from __future__ import annotations

import math

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _eig(H):
    return np.linalg.eigvalsh(np.asarray(H, float))


# ---------------------------------------------------------------------------
# 5.1 Predict the best learning rate and the number of steps


def _steps_for(rate, distance, tol):
    steps = 0
    while rate**steps * distance > tol:
        steps += 1
    return steps


def _prediction(H, w0, w_star, tol, *, lr_rule=None, squared=False, floor=False):
    lam = _eig(H)
    lr = 2.0 / (lam.min() + lam.max()) if lr_rule is None else lr_rule(H, lam)
    rate = float(np.max(np.abs(1.0 - lr * lam)))
    distance = float(np.linalg.norm(np.asarray(w0, float) - np.asarray(w_star, float)))
    if squared:  # the loss ratio, rate**2, used on the distance
        rate = rate**2
    if floor and 0.0 < rate < 1.0 and distance > tol:
        return float(lr), math.floor(math.log(tol / distance) / math.log(rate))
    if rate >= 1.0:
        return float(lr), -1
    return float(lr), _steps_for(rate, distance, tol)


def _prediction_reference(H, w0, w_star, tol):
    return _prediction(H, w0, w_star, tol)


def _prediction_by_running(H, w0, w_star, tol):
    # counts the steps of an actual run instead of predicting the bound
    H = np.asarray(H, float)
    lam = _eig(H)
    lr = 2.0 / (lam.min() + lam.max())
    w, w_star = np.asarray(w0, float), np.asarray(w_star, float)
    steps = 0
    while np.linalg.norm(w - w_star) > tol and steps < 100_000:
        w = w - lr * (w - w_star) @ H
        steps += 1
    return float(lr), steps


def _prediction_with_log_of_zero(H, w0, w_star, tol):
    # ceil(log(tol / d0) / log(rate)) with rate = 0 gives ceil(-x / -inf) = 0
    lr, steps = _prediction(H, w0, w_star, tol)
    lam = _eig(H)
    return (lr, 0) if np.isclose(lam.min(), lam.max()) else (lr, steps)


_ROTATED_3 = np.array([[3.0, 1.0, 1.0], [1.0, 2.0, 0.0], [1.0, 0.0, 1.0]])

BEST_LR_AND_STEPS = Exercise(
    number="5.1",
    title="predict the best learning rate and the step count",
    points=3,
    answer="predict_lr_and_steps",
    arg_names=("H", "w0", "w_star", "tol"),
    cases=(
        Case((np.diag([1.0, 10.0]), np.array([-3.0, 2.0]), np.array([1.0, 0.5]), 1e-6)),
        Case(
            (
                np.array([[3.0, 1.0], [1.0, 3.0]]),
                np.array([2.0, -1.0]),
                np.array([0.0, 1.0]),
                1e-3,
            )
        ),
        Case((_ROTATED_3, np.array([1.0, 1.0, 1.0]), np.zeros(3), 1e-4)),
        Case((2.0 * np.eye(2), np.array([5.0, 5.0]), np.zeros(2), 1e-8)),  # kappa = 1
        Case((np.diag([1.0, 4.0]), np.array([0.5, 0.0]), np.array([0.5, 1e-3]), 0.01)),
        # a start along the middle eigenvector: a run converges far faster than the
        # bound, so counting the steps of a run is not a prediction of the bound
        Case((np.diag([1.0, 4.0, 10.0]), np.array([0.0, 1.0, 0.0]), np.zeros(3), 1e-6)),
    ),
    reference=_prediction_reference,
    diagnoses=(
        Diagnosis(
            "this counts the steps of an actual run. The exercise asks for the "
            "bound: the smallest t with rate**t * |w0 - w*| <= tol, predicted from "
            "the eigenvalues. A run can be faster, e.g. from a start along an "
            "eigenvector whose factor is smaller than the rate.",
            _prediction_by_running,
        ),
        Diagnosis(
            "for kappa = 1 the rate is 0 and log(0) = -inf, so the formula gives 0 "
            "steps; but the start is not within tol, and one step lands exactly on "
            "w*: the answer is 1. Count t up from 0 instead of using the logarithm, "
            "or treat rate = 0 separately.",
            _prediction_with_log_of_zero,
        ),
        Diagnosis(
            "this learning rate is 1 / lambda_max, the largest that never overshoots; "
            "it leaves the flat direction slow. The best rate balances the two "
            "extreme factors: 1 - lr lambda_min = -(1 - lr lambda_max).",
            lambda H, w0, w_star, tol: _prediction(
                H, w0, w_star, tol, lr_rule=lambda H, lam: 1.0 / lam.max()
            ),
        ),
        Diagnosis(
            "2 / lambda_max is the stability limit: at it the steep direction "
            "bounces forever. The best rate is 2 / (lambda_min + lambda_max).",
            lambda H, w0, w_star, tol: _prediction(
                H, w0, w_star, tol, lr_rule=lambda H, lam: 2.0 / lam.max()
            ),
        ),
        Diagnosis(
            "2 / trace(H) equals 2 / (lambda_min + lambda_max) only for two weights; "
            "with more, the trace adds the middle eigenvalues too. Use the smallest "
            "and the largest eigenvalue (np.linalg.eigvalsh).",
            lambda H, w0, w_star, tol: _prediction(
                H, w0, w_star, tol, lr_rule=lambda H, lam: 2.0 / np.trace(H)
            ),
        ),
        Diagnosis(
            "this uses the diagonal of H; those are the curvatures only when H is "
            "diagonal. Use the eigenvalues.",
            lambda H, w0, w_star, tol: _prediction(
                H,
                w0,
                w_star,
                tol,
                lr_rule=lambda H, lam: 2.0 / (np.diag(H).min() + np.diag(H).max()),
            ),
        ),
        Diagnosis(
            "the step count is about half of what it should be: (kappa - 1) / "
            "(kappa + 1) shrinks the *distance* each step; its square is the loss "
            "ratio. The tolerance is on the distance.",
            lambda H, w0, w_star, tol: _prediction(H, w0, w_star, tol, squared=True),
        ),
        Diagnosis(
            "the step count is one short: after floor(log(tol / d0) / log(rate)) "
            "steps the distance is still above tol. Take the smallest whole t with "
            "rate**t * d0 <= tol (round up).",
            lambda H, w0, w_star, tol: _prediction(H, w0, w_star, tol, floor=True),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 5.2 Exact line search: the learning rate that minimises L(w - lr g)


def _line_search(H, w, w_star, *, numerator_h=False, no_h=False, factor=1.0):
    H = np.asarray(H, float)
    d = np.asarray(w, float) - np.asarray(w_star, float)
    g = d if no_h else d @ H
    top, bottom = g @ g, g @ H @ g
    if numerator_h:
        top, bottom = bottom, top
    return float(factor * top / bottom)


def _line_search_reference(H, w, w_star):
    return _line_search(H, w, w_star)


LINE_SEARCH = Exercise(
    number="5.2",
    title="derive the step of exact line search",
    points=3,
    answer="line_search_lr",
    arg_names=("H", "w", "w_star"),
    cases=(
        Case((np.array([[4.0]]), np.array([-1.0]), np.array([1.5]))),  # 1 / a
        Case((np.diag([1.0, 10.0]), np.array([-3.0, 2.0]), np.array([1.0, 0.5]))),
        Case((np.diag([1.0, 10.0]), np.array([-3.0, 0.5]), np.array([1.0, 0.5]))),
        Case((_ROTATED_3, np.array([1.0, -1.0, 2.0]), np.array([0.5, 0.0, 0.0]))),
        Case(
            (
                np.array([[2.0, 1.0], [1.0, 3.0]]),
                np.array([0.3, 0.1]),
                np.array([-1.0, 2.0]),
            )
        ),
    ),
    reference=_line_search_reference,
    diagnoses=(
        Diagnosis(
            "this is upside down: along g the loss is a parabola in lr with "
            "curvature g H g^T and slope -g g^T at lr = 0, so its lowest point is "
            "lr = (g g^T) / (g H g^T).",
            lambda H, w, w_star: _line_search(H, w, w_star, numerator_h=True),
        ),
        Diagnosis(
            "this uses w - w* in place of the gradient g = (w - w*) H; the two point "
            "the same way only along an eigenvector of H.",
            lambda H, w, w_star: _line_search(H, w, w_star, no_h=True),
        ),
        Diagnosis(
            "this is twice the best step: it lands where the loss along g is back "
            "to its starting value. The minimum of the parabola is halfway there.",
            lambda H, w, w_star: _line_search(H, w, w_star, factor=2.0),
        ),
        Diagnosis(
            "1 / lambda_max is a safe step for every direction, not the best one "
            "for this gradient; it agrees only when g is the steepest eigenvector.",
            lambda H, w, w_star: float(1.0 / _eig(H).max()),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 5.3 Shuffled mini-batches


def _batches(order, batch_size):
    starts = range(0, len(order), batch_size)
    return [order[start : start + batch_size] for start in starts]


def _minibatch_indices(n, batch_size, seed):
    return _batches(np.random.default_rng(seed).permutation(n), batch_size)


MINIBATCHES = Exercise(
    number="5.3",
    title="shuffled mini-batches from a seeded generator",
    points=2,
    answer="minibatch_indices",
    arg_names=("n", "batch_size", "seed"),
    cases=(
        Case((10, 3, 0)),  # the last batch is smaller
        Case((8, 4, 1)),
        Case((5, 5, 2)),  # one full batch
        Case((6, 10, 3)),  # batch larger than the data: one batch of everything
        Case((7, 1, 4)),  # stochastic: one example per batch
    ),
    reference=_minibatch_indices,
    diagnoses=(
        Diagnosis(
            "the indices are not shuffled: start from "
            "np.random.default_rng(seed).permutation(n).",
            lambda n, batch_size, seed: _batches(np.arange(n), batch_size),
        ),
        Diagnosis(
            "the last, smaller batch is missing: keep it when batch_size does not "
            "divide n.",
            lambda n, batch_size, seed: _batches(
                np.random.default_rng(seed).permutation(n), batch_size
            )[: n // batch_size],
        ),
        Diagnosis(
            "np.array_split makes batches of nearly equal size; the batches should be "
            "consecutive chunks of batch_size, with only the last one smaller.",
            lambda n, batch_size, seed: np.array_split(
                np.random.default_rng(seed).permutation(n), -(-n // batch_size)
            ),
        ),
        Diagnosis(
            "this uses NumPy's old global generator (np.random.seed, "
            "np.random.permutation); the exercise fixes the shuffle as "
            "np.random.default_rng(seed).permutation(n), a different generator.",
            lambda n, batch_size, seed: _batches(
                np.random.RandomState(seed).permutation(n), batch_size
            ),
        ),
        Diagnosis(
            "this shuffles with rng.choice; the exercise fixes the shuffle as "
            "np.random.default_rng(seed).permutation(n), so that everyone's batches "
            "are the same.",
            lambda n, batch_size, seed: _batches(
                np.random.default_rng(seed).choice(n, n, replace=False), batch_size
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 5.4 Experiment: the loss floor of constant-rate mini-batch descent

WITH_REPLACEMENT = (-1.25, -0.8)  # theory: the floor is proportional to lr / B
RESHUFFLED = (-1.9, -1.2)  # measured 1.48-1.51 over seed sets; faster than 1 / B


def _judge_exponents(value) -> tuple[bool, str]:
    try:
        p_replace, p_shuffle = (float(v) for v in value)
    except (TypeError, ValueError):
        return False, (
            "`exponents` should be a pair of numbers: (exponent with replacement, "
            "exponent with reshuffled epochs)."
        )
    if not (math.isfinite(p_replace) and math.isfinite(p_shuffle)):
        return False, "The exponents must be finite numbers."
    lines = [
        f"Your exponents: {p_replace:.3g} (with replacement), "
        f"{p_shuffle:.3g} (reshuffled)."
    ]
    if p_replace > 0 or p_shuffle > 0:
        lines.append(
            "A positive exponent says larger batches give a *higher* floor. Check "
            "the direction of your fit: log(floor) against log(B), floor at each B."
        )
        return False, "\n".join(lines)
    low, high = WITH_REPLACEMENT
    if p_shuffle > p_replace and low <= p_shuffle <= high:
        lines.append(
            "The two look swapped: drawing batches with replacement gives the "
            "exponent near -1 (floor proportional to 1 / B)."
        )
        return False, "\n".join(lines)
    ok = True
    low, high = WITH_REPLACEMENT
    if not low <= p_replace <= high:
        ok = False
        lines.append(
            f"With replacement the exponent should lie in [{low}, {high}]: each "
            "step's gradient noise has variance s^2 / B, so the floor falls "
            "like 1 / B. Check the protocol: start at the exact minimiser, "
            "lr = 0.05, fit on natural logs of both axes, average over the seeds "
            "before taking the log."
        )
    low, high = RESHUFFLED
    if not low <= p_shuffle <= high:
        ok = False
        lines.append(
            f"With reshuffled epochs the exponent should lie in [{low}, {high}]. "
            "Each epoch visits every example exactly once, so the errors of one "
            "epoch's steps partly cancel. Check the protocol as above."
        )
    if ok:
        lines.append(
            "Both in range: with replacement the floor falls like 1 / B, and "
            "reshuffling each epoch lowers it faster than that."
        )
    return ok, "\n".join(lines)


FLOOR_EXPERIMENT = Exercise(
    number="5.4",
    title="measure how the loss floor falls with the batch size",
    points=3,
    answer="exponents",
    judge_value=_judge_exponents,
)


# ---------------------------------------------------------------------------
# 5.5 A stopping rule that says what it stopped at

DIVERGED = 1e6  # stop when |w - w*| exceeds this


def _descend(
    H,
    w_star,
    w0,
    lr,
    tol,
    max_steps,
    *,
    count_checks=False,
    classify=None,
    watch_divergence=True,
):
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    w = np.asarray(w0, float).copy()
    steps = 0
    extra = 1 if count_checks else 0
    classify = classify or (lambda H: "minimum" if _eig(H).min() >= 0 else "saddle")
    while True:
        g = (w - w_star) @ H
        if np.linalg.norm(g) <= tol:
            return steps + extra, classify(H)
        if watch_divergence and not np.linalg.norm(w - w_star) <= DIVERGED:
            return steps + extra, "diverged"
        if steps == max_steps:
            return steps + extra, "not converged"
        with np.errstate(over="ignore", invalid="ignore"):
            w = w - lr * g
        steps += 1


def _descend_reference(H, w_star, w0, lr, tol, max_steps):
    return _descend(H, w_star, w0, lr, tol, max_steps)


_SADDLE = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1, diagonal > 0

STOPPING_RULE = Exercise(
    number="5.5",
    title="a stopping rule that says what it stopped at",
    points=3,
    answer="descend_and_classify",
    arg_names=("H", "w_star", "w0", "lr", "tol", "max_steps"),
    cases=(
        Case(
            (
                np.diag([1.0, 10.0]),
                np.array([1.0, 0.5]),
                np.array([-3.0, 2.0]),
                0.1,
                1e-6,
                1000,
            )
        ),
        Case(
            (
                np.diag([1.0, 10.0]),
                np.array([1.0, 0.5]),
                np.array([-3.0, 2.0]),
                0.21,
                1e-6,
                1000,
            )
        ),  # above 2 / lambda_max
        Case(
            (
                np.diag([1.0, 10.0]),
                np.array([1.0, 0.5]),
                np.array([-3.0, 2.0]),
                0.01,
                1e-6,
                50,
            )
        ),  # too few steps
        # a saddle whose diagonal shows it; descent along w2 = 0 stops there
        Case(
            (np.diag([1.0, -1.0]), np.zeros(2), np.array([2.0, 0.0]), 0.1, 1e-8, 1000)
        ),
        # on the saddle's attracting line w1 = w2: descent stops at the saddle
        Case((_SADDLE, np.zeros(2), np.array([1.0, 1.0]), 0.1, 1e-8, 1000)),
        # just off that line: descent slides away along the negative curvature
        Case((_SADDLE, np.zeros(2), np.array([1.0, 1.001]), 0.1, 1e-8, 1000)),
        Case(
            (
                np.diag([2.0, 0.0]),
                np.array([0.0, 0.0]),
                np.array([3.0, -1.0]),
                0.25,
                1e-8,
                1000,
            )
        ),  # a flat direction: a minimum, not at w*
        Case((np.eye(2), np.zeros(2), np.zeros(2), 0.5, 1e-8, 10)),  # starts there
    ),
    reference=_descend_reference,
    diagnoses=(
        Diagnosis(
            "the step count is one too many: count the updates made, not the "
            "gradients looked at (a start that already passes the test made 0).",
            lambda *args: _descend(*args, count_checks=True),
        ),
        Diagnosis(
            "the diagonal of H is not its curvature unless H is diagonal: "
            "[[1, 2], [2, 1]] has a positive diagonal and the eigenvalue -1. Use "
            "np.linalg.eigvalsh.",
            lambda *args: _descend(
                *args,
                classify=lambda H: "minimum" if np.diag(H).min() >= 0 else "saddle",
            ),
        ),
        Diagnosis(
            "an eigenvalue of exactly 0 is a flat direction, not a negative "
            "curvature: with every eigenvalue >= 0 the stop is a minimum (one of a "
            "whole line of minima here). Call it a saddle only if some eigenvalue "
            "is < 0.",
            lambda *args: _descend(
                *args,
                classify=lambda H: "minimum" if _eig(H).min() > 0 else "saddle",
            ),
        ),
        Diagnosis(
            "a zero gradient does not make a minimum: at a saddle the gradient "
            "vanishes too. Look at the curvature: every eigenvalue of H >= 0 for a "
            "minimum, some eigenvalue < 0 for a saddle.",
            lambda *args: _descend(*args, classify=lambda H: "minimum"),
        ),
        Diagnosis(
            "a diverging run must be stopped and named: test |w - w*| > 1e6 "
            "before each update.",
            lambda *args: _descend(*args, watch_divergence=False),
        ),
    ),
)

EXERCISES = (
    BEST_LR_AND_STEPS,
    LINE_SEARCH,
    MINIBATCHES,
    FLOOR_EXPERIMENT,
    STOPPING_RULE,
)

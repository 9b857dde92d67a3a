"""Exercises of chapter 4, Loss functions (``solutions/04_losses.ipynb``).

4.1 design (Huber's loss and its gradient), 4.2 derivation (binary cross-entropy
from the score), 4.3 implementation (categorical cross-entropy of a batch),
4.4 derivation (the best loss under label smoothing), 4.5 derivation (the noise
scale by maximum likelihood).
"""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


# ---------------------------------------------------------------------------
# 4.1 Huber's loss: quadratic near zero, linear far away, continuous slope


def _huber(y_hat, y, delta, *, linear=None, grad_scale=1.0, mean=True, half=True):
    y_hat, y = _arrays(y_hat, y)
    r = y_hat - y
    inside = np.abs(r) <= delta
    linear = linear or (lambda a: delta * a - delta**2 / 2)
    quadratic = r**2 / 2 if half else r**2
    losses = np.where(inside, quadratic, linear(np.abs(r)))
    m = len(y)
    grad = np.clip(r, -delta, delta) * grad_scale / m
    return float(np.sum(losses) / (m if mean else 1)), grad


def _huber_reference(y_hat, y, delta):
    return _huber(y_hat, y, delta)


HUBER = Exercise(
    number="4.1",
    title="design Huber's loss and its gradient",
    points=3,
    answer="huber_and_grad",
    arg_names=("y_hat", "y", "delta"),
    cases=(
        Case((np.array([2.5, 0.0, 2.0]), np.array([3.0, -0.5, 2.0]), 1.0)),
        Case((np.array([0.0, 4.0, -3.0, 1.0]), np.array([0.5, 1.0, 1.0, 1.0]), 1.0)),
        Case((np.array([0.0, 4.0, -3.0, 1.0]), np.array([0.5, 1.0, 1.0, 1.0]), 2.5)),
        # residuals exactly at -delta and +delta: both pieces must agree there
        Case((np.array([1.0, 3.0, 2.0]), np.array([1.5, 2.5, 2.0]), 0.5)),
        Case((np.array([15.0, 5.0]), np.array([5.0, 5.0]), 0.2)),
    ),
    reference=_huber_reference,
    diagnoses=(
        Diagnosis(
            "the loss jumps at |r| = delta: the linear piece delta * |r| lies "
            "delta**2 / 2 above the quadratic there. Subtract delta**2 / 2 so that "
            "both pieces meet.",
            lambda y_hat, y, delta: _huber(y_hat, y, delta, linear=lambda a: delta * a),
        ),
        Diagnosis(
            "the linear piece has slope 1, so the slope jumps from delta to 1 at "
            "|r| = delta (this only works for delta = 1). Its slope must be delta: "
            "delta * |r| - delta**2 / 2.",
            lambda y_hat, y, delta: _huber(
                y_hat, y, delta, linear=lambda a: a - delta / 2
            ),
        ),
        Diagnosis(
            "the quadratic piece is r**2 / 2 (the 1/2 convention of the chapter), "
            "not r**2.",
            lambda y_hat, y, delta: _huber(y_hat, y, delta, half=False),
        ),
        Diagnosis(
            "this is the sum over the examples; the loss is their mean.",
            lambda y_hat, y, delta: _huber(y_hat, y, delta, mean=False),
        ),
        Diagnosis(
            "the gradient is m times too large: the loss is a mean, so divide the "
            "gradient by m as well.",
            lambda y_hat, y, delta: _huber(y_hat, y, delta, grad_scale=len(y)),
        ),
        Diagnosis(
            "far from zero the gradient should be delta * sign(r) / m (the slope of "
            "the linear piece), not r / m: clip the residual to [-delta, delta].",
            lambda y_hat, y, delta: (
                _huber(y_hat, y, delta)[0],
                (np.asarray(y_hat, float) - np.asarray(y, float)) / len(y),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.2 Binary cross-entropy computed from the score z, exact for any z

EPS = 1e-12  # the clipping of chapter 4's binary_cross_entropy


def _bce_from_scores(z, y):
    z, y = _arrays(z, y)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _bce_clipped(z, y):
    z, y = _arrays(z, y)
    with np.errstate(over="ignore"):
        p = np.clip(1 / (1 + np.exp(-z)), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _bce_naive(z, y):
    z, y = _arrays(z, y)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p = 1 / (1 + np.exp(-z))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _bce_overflowing(z, y):
    z, y = _arrays(z, y)
    with np.errstate(over="ignore"):
        return float(np.mean(np.log1p(np.exp(z)) - y * z))


BCE_FROM_SCORES = Exercise(
    number="4.2",
    title="derive binary cross-entropy from the score",
    points=3,
    answer="bce_from_scores",
    arg_names=("z", "y"),
    cases=(
        Case((np.array([0.0]), np.array([1.0]))),
        Case((np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 0.0]))),
        Case((np.array([40.0, -40.0]), np.array([0.0, 1.0]))),  # the chapter's z = 40
        Case((np.array([1000.0, -1000.0, 1000.0]), np.array([1.0, 0.0, 0.0]))),
        Case((np.array([-3.0, 3.0, 30.0, -30.0]), np.array([1.0, 1.0, 1.0, 0.0]))),
    ),
    reference=_bce_from_scores,
    diagnoses=(
        Diagnosis(
            "this is the clipped loss of chapter 4: it stops at -ln(1e-12) = 27.63 "
            "however wrong the score is. From the score the loss is exact: "
            "ln(1 + e^z) - y z, with ln(1 + e^z) computed without overflow.",
            _bce_clipped,
        ),
        Diagnosis(
            "ln(1 + e^z) overflows for large z (np.exp(1000) is inf). Compute it as "
            "max(z, 0) + ln(1 + e^(-|z|)), or with np.logaddexp(0, z).",
            _bce_overflowing,
        ),
        Diagnosis(
            "the sigmoid rounds to exactly 0 or 1 for large |z|, and the log of it is "
            "-inf. Simplify -[y ln s(z) + (1 - y) ln(1 - s(z))] by hand first.",
            _bce_naive,
        ),
        Diagnosis(
            "the sign of the y z term is flipped: the loss is ln(1 + e^z) - y z.",
            lambda z, y: float(
                np.mean(np.logaddexp(0.0, np.asarray(z, float)) + np.multiply(y, z))
            ),
        ),
        Diagnosis(
            "this is the sum over the examples; the loss is their mean.",
            lambda z, y: _bce_from_scores(z, y) * len(y),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.3 Categorical cross-entropy for a batch with integer labels


def _per_example(P, y):
    P = np.asarray(P, dtype=float)
    y = np.asarray(y, dtype=int)
    return -np.log(P[np.arange(len(y)), y])


def _categorical(P, y):
    return float(np.mean(_per_example(P, y)))


def _categorical_one_based(P, y):
    return _categorical(P, np.asarray(y) - 1)  # label 0 wraps to the last column


def _categorical_all_pairs(P, y):
    # P[:, y] picks, for EVERY example, the columns of all m labels: shape (m, m)
    P = np.asarray(P, dtype=float)
    return float(-np.mean(np.log(P[:, np.asarray(y, dtype=int)])))


def _categorical_over_classes(P, y):
    P = np.asarray(P, dtype=float)
    Y = np.eye(P.shape[1])[np.asarray(y, dtype=int)]
    return float(-np.mean(Y * np.log(P)))


CATEGORICAL_CROSS_ENTROPY = Exercise(
    number="4.3",
    title="categorical cross-entropy of a batch",
    points=2,
    answer="categorical_cross_entropy",
    arg_names=("P", "y"),
    cases=(
        Case((np.array([[0.1, 0.2, 0.5, 0.1, 0.1]]), np.array([2]))),
        Case(
            (
                np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]),
                np.array([0, 2, 1]),
            )
        ),
        Case((np.array([[0.25, 0.25, 0.5], [0.6, 0.3, 0.1]]), np.array([2, 0]))),
        Case(
            (
                np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5], [0.2, 0.8]]),
                np.array([0, 1, 0, 0]),
            )
        ),
    ),
    reference=_categorical,
    diagnoses=(
        Diagnosis(
            "this reads the labels as counted from 1. Labels count from 0, as NumPy "
            "indexes: label 2 is the third column, P[i, 2].",
            _categorical_one_based,
        ),
        Diagnosis(
            "the result has the wrong sign: cross-entropy is *minus* the mean log "
            "probability of the true class.",
            lambda P, y: -_categorical(P, y),
        ),
        Diagnosis(
            "P[:, y] is an (m, m) matrix: every example's probabilities for all m "
            "labels. Pair each row with its own label: P[np.arange(m), y].",
            _categorical_all_pairs,
        ),
        Diagnosis(
            "this averages over the classes as well as the examples (np.mean of the "
            "whole (m, K) matrix). Sum over the classes, then average over the m "
            "examples only.",
            _categorical_over_classes,
        ),
        Diagnosis(
            "this is the sum over the examples; the loss is their mean.",
            lambda P, y: _categorical(P, y) * len(y),
        ),
        Diagnosis(
            "this is one loss per example, shape (m,); the batch's loss is their "
            "mean, a single number.",
            _per_example,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.4 Label smoothing: the smallest reachable loss and the logits that reach it


def _xlogx(p):
    p = np.asarray(p, dtype=float)
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def _smoothing(K, eps, *, true_share=None, other_share=None):
    other = eps / K if other_share is None else other_share
    true = 1 - eps + eps / K if true_share is None else true_share
    min_loss = -float(_xlogx(true) + (K - 1) * _xlogx(other))
    with np.errstate(divide="ignore"):
        gap = float(np.log(true) - np.log(other))
    return min_loss, gap


def _smoothing_reference(K, eps):
    return _smoothing(K, eps)


def _smoothing_other_convention(K, eps):
    return _smoothing(K, eps, true_share=1 - eps, other_share=eps / (K - 1))


def _smoothing_nan_at_zero(K, eps):
    other, true = eps / K, 1 - eps + eps / K
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -(true * np.log(true) + (K - 1) * other * np.log(other))
        return float(loss), float(np.log(true) - np.log(other))


LABEL_SMOOTHING = Exercise(
    number="4.4",
    title="derive the best loss under label smoothing",
    points=3,
    answer="label_smoothing_optimum",
    arg_names=("K", "eps"),
    cases=(
        Case((5, 0.1)),
        Case((2, 0.2)),
        Case((10, 0.5)),
        Case((3, 1.0)),  # uniform targets: the best prediction is uniform
        Case((4, 0.0)),  # one-hot targets: loss 0, reached only as the gap grows
    ),
    reference=_smoothing_reference,
    diagnoses=(
        Diagnosis(
            "this gives the true class 1 - eps and every other class eps / (K - 1). "
            "The smoothing here spreads eps evenly over *all* K classes, the true "
            "one included: it gets 1 - eps + eps / K, the others eps / K each.",
            _smoothing_other_convention,
        ),
        Diagnosis(
            "with eps = 0 the other classes have probability 0, and 0 * ln 0 is "
            "nan in NumPy. Its limit, and its value in the entropy, is 0.",
            _smoothing_nan_at_zero,
        ),
        Diagnosis(
            "the smallest cross-entropy is not 0 when the target is not one-hot: "
            "H(y, y_hat) = H(y) + KL(y || y_hat) is smallest at y_hat = y, where it "
            "equals the entropy H(y).",
            lambda K, eps: (0.0, _smoothing(K, eps)[1]),
        ),
        Diagnosis(
            "this uses log base 2; the book's losses use the natural log.",
            lambda K, eps: tuple(v / np.log(2) for v in _smoothing(K, eps)),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.5 Gaussian noise: the maximum-likelihood scale and the loss it gives


def _gaussian_fit(y_hat, y, *, variance_scale=1.0, centred=False, sd=True):
    y_hat, y = _arrays(y_hat, y)
    r = y_hat - y
    if centred:
        r = r - r.mean()
    variance = variance_scale * np.mean(r**2)
    nll = 0.5 * np.log(2 * np.pi * variance) + np.mean((y_hat - y) ** 2) / (
        2 * variance
    )
    return float(np.sqrt(variance) if sd else variance), float(nll)


def _gaussian_reference(y_hat, y):
    return _gaussian_fit(y_hat, y)


GAUSSIAN_SCALE = Exercise(
    number="4.5",
    title="derive the noise scale by maximum likelihood",
    points=3,
    answer="gaussian_fit",
    arg_names=("y_hat", "y"),
    cases=(
        Case((np.array([2.5, 0.0, 2.0]), np.array([3.0, -0.5, 2.0]))),
        Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 2.0, 3.0]))),
        Case((np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, -2.0, 0.5, 3.0]))),
        Case((np.array([5.0, 5.0, 5.0]), np.array([4.0, 5.5, 8.0]))),
    ),
    reference=_gaussian_reference,
    diagnoses=(
        Diagnosis(
            "s**2 is the mean squared residual (the full MSE), not half of it: the "
            "1/2 of the loss cancels against the 2 in 2 s**2.",
            lambda y_hat, y: _gaussian_fit(y_hat, y, variance_scale=0.5),
        ),
        Diagnosis(
            "np.std subtracts the mean residual first; the noise is measured from "
            "the predictions, so s**2 = mean((y_hat - y)**2) with nothing subtracted.",
            lambda y_hat, y: _gaussian_fit(y_hat, y, centred=True),
        ),
        Diagnosis(
            "the first number is the variance s**2; return the standard deviation s.",
            lambda y_hat, y: _gaussian_fit(y_hat, y, sd=False),
        ),
        Diagnosis(
            "the second number is the total negative log-likelihood of the m "
            "examples; the exercise asks for the mean per example.",
            lambda y_hat, y: (
                _gaussian_fit(y_hat, y)[0],
                _gaussian_fit(y_hat, y)[1] * len(y),
            ),
        ),
        Diagnosis(
            "the squared-error term is missing from the negative log-likelihood: at "
            "the best s, mean((y - y_hat)**2) / (2 s**2) is not 0 but exactly 1/2.",
            lambda y_hat, y: (
                _gaussian_fit(y_hat, y)[0],
                _gaussian_fit(y_hat, y)[1] - 0.5,
            ),
        ),
    ),
)

EXERCISES = (
    HUBER,
    BCE_FROM_SCORES,
    CATEGORICAL_CROSS_ENTROPY,
    LABEL_SMOOTHING,
    GAUSSIAN_SCALE,
)

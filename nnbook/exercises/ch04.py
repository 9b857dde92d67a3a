"""Exercises of chapter 4, Loss functions (``solutions/04_losses.ipynb``)."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise

EPS = 1e-12  # the clipping rule of exercise 4.3: y_hat goes into [EPS, 1 - EPS]


def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


# ---------------------------------------------------------------------------
# 4.1 Half mean squared error and its gradient


def _mse_and_grad(y_hat, y):
    y_hat, y = _arrays(y_hat, y)
    m = len(y)
    return 0.5 * np.sum((y_hat - y) ** 2) / m, (y_hat - y) / m


def _mse_without_half(y_hat, y):
    loss, grad = _mse_and_grad(y_hat, y)
    return 2 * loss, grad


def _mse_without_half_anywhere(y_hat, y):
    loss, grad = _mse_and_grad(y_hat, y)
    return 2 * loss, 2 * grad


def _mse_grad_without_m(y_hat, y):
    loss, grad = _mse_and_grad(y_hat, y)
    return loss, grad * len(y)


def _mse_grad_wrong_sign(y_hat, y):
    loss, grad = _mse_and_grad(y_hat, y)
    return loss, -grad


_HALF_HINT = (
    "the loss is twice the expected one: the 1/2 seems to be missing. "
    "L = sum((y_hat - y)**2) / (2 m), and its gradient is (y_hat - y) / m."
)

MSE_AND_GRAD = Exercise(
    number="4.1",
    title="half mean squared error and its gradient",
    points=3,
    answer="mse_and_grad",
    arg_names=("y_hat", "y"),
    cases=(
        Case((np.array([2.5, 0.0, 2.0]), np.array([3.0, -0.5, 2.0]))),
        Case((np.array([1.0]), np.array([3.0]))),
        Case((np.array([0.5, 1.5, -2.0, 4.0]), np.array([0.0, 1.0, -1.0, 4.0]))),
        Case((np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))),
        Case((np.array([10.0, -10.0]), np.array([0.0, 0.0]))),
    ),
    reference=_mse_and_grad,
    diagnoses=(
        Diagnosis(_HALF_HINT, _mse_without_half),
        Diagnosis(_HALF_HINT, _mse_without_half_anywhere),
        Diagnosis(
            "the gradient is m times too large: the loss is a mean over the m "
            "examples, so its gradient is (y_hat - y) / m.",
            _mse_grad_without_m,
        ),
        Diagnosis(
            "the gradient has the wrong sign: it is (y_hat - y) / m, prediction "
            "minus target.",
            _mse_grad_wrong_sign,
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.2 Mean absolute error


def _mae(y_hat, y):
    y_hat, y = _arrays(y_hat, y)
    return float(np.mean(np.abs(y_hat - y)))


MAE = Exercise(
    number="4.2",
    title="mean absolute error",
    points=2,
    answer="mae",
    arg_names=("y_hat", "y"),
    cases=(
        Case((np.array([2.5, 0.0, 2.0]), np.array([3.0, -0.5, 2.0]))),
        Case((np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.0, 2.0, 1.0, 15.0]))),
        Case((np.array([-3.0]), np.array([4.0]))),
        Case((np.array([5.0, 5.0]), np.array([5.0, 5.0]))),
    ),
    reference=_mae,
    diagnoses=(
        Diagnosis(
            "the absolute value seems to be missing: errors of opposite signs "
            "cancel. Use np.abs(y_hat - y).",
            lambda y_hat, y: float(np.mean(np.subtract(y_hat, y))),
        ),
        Diagnosis(
            "this is the mean *squared* error; the MAE averages |y_hat - y|.",
            lambda y_hat, y: float(np.mean(np.subtract(y_hat, y) ** 2)),
        ),
        Diagnosis(
            "this is the sum of the absolute errors; divide by the number of "
            "examples to get the mean.",
            lambda y_hat, y: float(np.sum(np.abs(np.subtract(y_hat, y)))),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.3 Binary cross-entropy, clipped


def _bce(y_hat, y, clip=True):
    y_hat, y = _arrays(y_hat, y)
    if clip:
        y_hat = np.clip(y_hat, EPS, 1 - EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def _bce_unclipped(y_hat, y):
    return _bce(y_hat, y, clip=False)


def _bce_first_term_only(y_hat, y):
    y_hat, y = _arrays(y_hat, y)
    return float(-np.mean(y * np.log(np.clip(y_hat, EPS, 1 - EPS))))


BINARY_CROSS_ENTROPY = Exercise(
    number="4.3",
    title="binary cross-entropy that survives 0 and 1",
    points=3,
    answer="binary_cross_entropy",
    arg_names=("y_hat", "y"),
    cases=(
        Case((np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 1.0]))),
        Case((np.array([0.5]), np.array([1.0]))),
        Case((np.array([0.0, 0.7]), np.array([1.0, 1.0]))),
        Case((np.array([1.0, 0.3]), np.array([0.0, 0.0]))),
        Case((np.array([1.0, 0.0]), np.array([1.0, 0.0]))),
    ),
    reference=_bce,
    diagnoses=(
        Diagnosis(
            "a prediction of exactly 0 or 1 makes np.log return -inf (or 0 * -inf = "
            "nan). Clip first: y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12).",
            _bce_unclipped,
        ),
        Diagnosis(
            "the result has the wrong sign: cross-entropy is *minus* the mean log "
            "probability, so it is never negative.",
            lambda y_hat, y: -_bce(y_hat, y),
        ),
        Diagnosis(
            "the term (1 - y) * log(1 - y_hat) for the examples labelled 0 seems to "
            "be missing.",
            _bce_first_term_only,
        ),
        Diagnosis(
            "this is the sum over the examples; the loss is their mean.",
            lambda y_hat, y: _bce(y_hat, y) * len(y),
        ),
    ),
    rtol=1e-5,  # log(1 - (1 - 1e-12)) and log(1e-12) differ in the sixth digit
)


# ---------------------------------------------------------------------------
# 4.4 Categorical cross-entropy for a batch with integer labels


def _categorical(P, y):
    P = np.asarray(P, dtype=float)
    y = np.asarray(y, dtype=int)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


def _categorical_one_based(P, y):
    return _categorical(P, np.asarray(y) - 1)  # label 0 wraps to the last column


def _categorical_over_classes(P, y):
    P = np.asarray(P, dtype=float)
    Y = np.eye(P.shape[1])[np.asarray(y, dtype=int)]
    return float(-np.mean(Y * np.log(P)))


CATEGORICAL_CROSS_ENTROPY = Exercise(
    number="4.4",
    title="categorical cross-entropy of a batch",
    points=3,
    answer="categorical_cross_entropy",
    arg_names=("P", "y"),
    cases=(
        Case((np.array([[0.1, 0.2, 0.5, 0.1, 0.1]]), np.array([2]))),
        Case(
            (
                np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]),
                np.array([0, 1, 2]),
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
            "this averages over the classes as well as the examples (np.mean of the "
            "whole (m, k) matrix). Sum over the classes, then average over the m "
            "examples only.",
            _categorical_over_classes,
        ),
        Diagnosis(
            "this is the sum over the examples; the loss is their mean.",
            lambda P, y: _categorical(P, y) * len(y),
        ),
    ),
)


# ---------------------------------------------------------------------------
# 4.5 Gradient of softmax + cross-entropy with respect to the scores


def _softmax(Z, axis=1):
    shifted = Z - np.max(Z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def _one_hot(Z, y):
    return np.eye(Z.shape[1])[np.asarray(y, dtype=int)]


def _ce_grad(Z, y):
    Z = np.asarray(Z, dtype=float)
    return (_softmax(Z) - _one_hot(Z, y)) / len(y)


def _ce_grad_naive_softmax(Z, y):
    Z = np.asarray(Z, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        exps = np.exp(Z)
        probs = exps / np.sum(exps, axis=1, keepdims=True)
    return (probs - _one_hot(Z, y)) / len(y)


def _ce_grad_columns(Z, y):
    Z = np.asarray(Z, dtype=float)
    return (_softmax(Z, axis=0) - _one_hot(Z, y)) / len(y)


CROSS_ENTROPY_GRAD = Exercise(
    number="4.5",
    title="gradient of softmax plus cross-entropy",
    points=3,
    answer="cross_entropy_grad",
    arg_names=("Z", "y"),
    cases=(
        Case((np.array([[2.0, 1.0, 0.5]]), np.array([0]))),
        Case(
            (
                np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [0.0, 0.0, 0.0]]),
                np.array([2, 0, 1]),
            )
        ),
        Case((np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]), np.array([1, 2]))),
        Case(
            (
                np.array([[0.1, 0.2, 0.3, 0.4], [3.0, -2.0, 1.0, 0.0]]),
                np.array([3, 3]),
            )
        ),
    ),
    reference=_ce_grad,
    diagnoses=(
        Diagnosis(
            "the result holds nan: exp of a large score overflows. Subtract each "
            "row's maximum score before np.exp (it does not change the softmax).",
            _ce_grad_naive_softmax,
        ),
        Diagnosis(
            "the gradient has the wrong sign: it is (softmax(Z) - Y) / m, "
            "prediction minus one-hot target.",
            lambda Z, y: -_ce_grad(Z, y),
        ),
        Diagnosis(
            "the gradient is m times too large: the loss is a mean over the m "
            "examples, so divide by m.",
            lambda Z, y: _ce_grad(Z, y) * len(y),
        ),
        Diagnosis(
            "the softmax seems to normalise the columns: one example per row, so "
            "each row must sum to 1 (sum over axis=1).",
            _ce_grad_columns,
        ),
        Diagnosis(
            "the one-hot targets seem to be missing: the gradient is "
            "(softmax(Z) - Y) / m, with Y[i, y[i]] = 1.",
            lambda Z, y: _softmax(np.asarray(Z, dtype=float)) / len(y),
        ),
    ),
)

EXERCISES = (
    MSE_AND_GRAD,
    MAE,
    BINARY_CROSS_ENTROPY,
    CATEGORICAL_CROSS_ENTROPY,
    CROSS_ENTROPY_GRAD,
)

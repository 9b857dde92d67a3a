"""Exercises of chapter 3, Activation functions (``solutions/03_activations.ipynb``)."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    exps = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


def _quietly(function):
    """``function`` with NumPy's overflow and 0/0 warnings silenced.

    A wrong answer is recomputed by the judge to recognise a mistake; its
    overflow is expected there and must not print warnings into the feedback.
    """

    def wrapped(*args):
        with np.errstate(all="ignore"):
            return function(*args)

    return wrapped


@_quietly
def _softmax_without_shift(z):
    exps = np.exp(np.asarray(z, dtype=float))
    return exps / np.sum(exps, axis=-1, keepdims=True)


@_quietly
def _softmax_down_columns(z):
    return _softmax(z, axis=0)


@_quietly
def _softmax_shifted_by_batch_max(z):
    z = np.asarray(z, dtype=float)
    exps = np.exp(z - np.max(z))
    return exps / np.sum(exps, axis=-1, keepdims=True)


@_quietly
def _softmax_over_whole_batch(z):
    z = np.asarray(z, dtype=float)
    exps = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exps / np.sum(exps)


SOFTMAX = Exercise(
    number="3.1",
    title="a softmax that survives large scores",
    points=3,
    answer="softmax",
    arg_names=("z",),
    cases=(
        Case((np.array([2.0, 1.0, 0.5]),)),
        Case((np.array([1000.0, 999.0, 998.0]),)),
        Case((np.array([-1000.0, 0.0, 1000.0]),)),
        Case((np.array([-1000.0, -1001.0, -1002.0]),)),  # naive: 0 / 0
        Case((np.array([3.0]),)),
        Case((np.array([[2.0, 1.0, 0.5], [1000.0, 999.0, 998.0]]),)),
        Case((np.array([[0.0, 1.0], [2.0, 4.0], [-1.0, -1.0]]),)),
    ),
    reference=_softmax,
    diagnoses=(
        Diagnosis(
            "exp overflowed (or every exp underflowed to 0, giving 0/0): subtract the "
            "largest score before exponentiating; softmax(z - max(z)) = softmax(z).",
            _softmax_without_shift,
        ),
        Diagnosis(
            "this normalises down the columns (axis 0). Each row is one example: take "
            "the max and the sum along the last axis (axis=-1, keepdims=True).",
            _softmax_down_columns,
        ),
        Diagnosis(
            "this subtracts the largest score of the whole batch, so a row far below "
            "it underflows to 0/0. Subtract each row's own max: "
            "np.max(z, axis=-1, keepdims=True).",
            _softmax_shifted_by_batch_max,
        ),
        Diagnosis(
            "this divides by the sum over the whole batch; each row must sum to 1 on "
            "its own (np.sum(..., axis=-1, keepdims=True)).",
            _softmax_over_whole_batch,
        ),
    ),
)


def _derivative(z, name):
    z = np.asarray(z, dtype=float)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return 1.0 - np.tanh(z) ** 2


def _derivative_of_z_itself(z, name):
    z = np.asarray(z, dtype=float)
    return z * (1.0 - z) if name == "sigmoid" else 1.0 - z**2


def _derivative_swapped(z, name):
    return _derivative(z, "tanh" if name == "sigmoid" else "sigmoid")


def _activation_itself(z, name):
    z = np.asarray(z, dtype=float)
    return 1.0 / (1.0 + np.exp(-z)) if name == "sigmoid" else np.tanh(z)


DERIVATIVE = Exercise(
    number="3.2",
    title="the derivatives of the sigmoid and tanh",
    points=2,
    answer="activation_derivative",
    arg_names=("z", "name"),
    cases=(
        Case((0.0, "sigmoid")),
        Case((2.0, "sigmoid")),
        Case((np.array([-10.0, -1.0, 0.0, 1.0, 10.0]), "sigmoid")),
        Case((0.0, "tanh")),
        Case((0.5, "tanh")),
        Case((np.array([-3.0, -0.5, 0.0, 0.5, 3.0]), "tanh")),
    ),
    reference=_derivative,
    diagnoses=(
        Diagnosis(
            "apply the formula to the activation's output, not to z: "
            "sigma'(z) = sigma(z) (1 - sigma(z)) and tanh'(z) = 1 - tanh(z)**2.",
            _derivative_of_z_itself,
        ),
        Diagnosis(
            "the two formulas seem swapped: the sigmoid's slope is sigma (1 - sigma), "
            "tanh's is 1 - tanh**2.",
            _derivative_swapped,
        ),
        Diagnosis(
            "this is the activation itself, not its slope.",
            _activation_itself,
        ),
    ),
)


def _leaky(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z), np.where(z > 0, 1.0, alpha)


def _leaky_with_relu_slope(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z), np.where(z > 0, 1.0, 0.0)


def _leaky_mirrored(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, alpha * z, z), np.where(z > 0, alpha, 1.0)


def _leaky_slope_one_at_zero(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z), np.where(z >= 0, 1.0, alpha)


LEAKY_RELU = Exercise(
    number="3.3",
    title="leaky ReLU and its slope",
    points=2,
    answer="leaky_relu_and_slope",
    arg_names=("z", "alpha"),
    cases=(
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), 0.01)),
        Case((np.array([-1.0, 1.0]), 0.2)),
        Case((-4.0, 0.1)),
        Case((2.5, 0.1)),
        Case((np.array([[-3.0, 0.0], [1.5, -0.1]]), 0.05)),
    ),
    reference=_leaky,
    diagnoses=(
        Diagnosis(
            "for z < 0 the slope is alpha, not 0 (that is plain ReLU's slope); the "
            "small slope is the point of the leaky ReLU.",
            _leaky_with_relu_slope,
        ),
        Diagnosis(
            "alpha belongs to the negative side: z where z > 0, alpha * z elsewhere "
            "(slope 1 where z > 0, alpha elsewhere).",
            _leaky_mirrored,
        ),
        Diagnosis(
            "at z = 0 use the slope alpha: the book takes slope 1 only where z > 0.",
            _leaky_slope_one_at_zero,
        ),
    ),
)


def _softmax_temperature(z, T):
    return _softmax(np.asarray(z, dtype=float) / T)


@_quietly
def _temperature_times(z, T):
    return _softmax(np.asarray(z, dtype=float) * T)


@_quietly
def _temperature_without_shift(z, T):
    return _softmax_without_shift(np.asarray(z, dtype=float) / T)


@_quietly
def _temperature_ignored(z, T):
    return _softmax(z)


TEMPERATURE = Exercise(
    number="3.4",
    title="softmax with a temperature",
    points=2,
    answer="softmax_temperature",
    arg_names=("z", "T"),
    cases=(
        Case((np.array([2.0, 1.0, 0.5]), 1.0)),
        Case((np.array([2.0, 1.0, 0.5]), 0.5)),
        Case((np.array([2.0, 1.0, 0.5]), 10.0)),
        Case((np.array([2.0, 1.0, 0.5]), 100.0)),
        Case((np.array([10.0, 9.0, 8.0]), 0.01)),  # z / T reaches 1000
        Case((np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), 2.0)),
    ),
    reference=_softmax_temperature,
    diagnoses=(
        Diagnosis(
            "divide the scores by T: softmax(z / T). Multiplying by T makes a high "
            "temperature sharper instead of flatter.",
            _temperature_times,
        ),
        Diagnosis(
            "exp(z / T) overflowed: at a low temperature z / T is large. Subtract the "
            "largest value of z / T before exponentiating.",
            _temperature_without_shift,
        ),
        Diagnosis(
            "the temperature T seems to be ignored: use softmax(z / T).",
            _temperature_ignored,
        ),
    ),
)


def _jacobian(z):
    p = _softmax(z)
    return np.diag(p) - np.outer(p, p)


def _jacobian_sign_flipped(z):
    return -_jacobian(z)


def _jacobian_diagonal_only(z):
    p = _softmax(z)
    return np.diag(p * (1.0 - p))


def _jacobian_with_dot_product(z):
    p = _softmax(z)
    return np.diag(p) - p @ p


def _jacobian_without_diagonal(z):
    p = _softmax(z)
    return -np.outer(p, p)


def _jacobian_of_naive_softmax(z):
    p = _softmax_without_shift(z)
    return np.diag(p) - np.outer(p, p)


JACOBIAN = Exercise(
    number="3.5",
    title="the softmax Jacobian",
    points=3,
    answer="softmax_jacobian",
    arg_names=("z",),
    cases=(
        Case((np.array([2.0, 1.0, 0.5]),)),
        Case((np.array([0.0, 0.0]),)),
        Case((np.array([1000.0, 999.0, 998.0]),)),
        Case((np.array([3.0]),)),
        Case((np.array([-1.0, 0.0, 1.0, 2.0]),)),
    ),
    reference=_jacobian,
    diagnoses=(
        Diagnosis(
            "the sign is flipped: J = diag(p) - outer(p, p), positive on the diagonal.",
            _jacobian_sign_flipped,
        ),
        Diagnosis(
            "only the diagonal is there: off the diagonal, dp_i/dz_j = -p_i p_j.",
            _jacobian_diagonal_only,
        ),
        Diagnosis(
            "p @ p is one number (a dot product); the Jacobian needs the outer "
            "product np.outer(p, p).",
            _jacobian_with_dot_product,
        ),
        Diagnosis(
            "the diagonal term diag(p) is missing: J = diag(p) - outer(p, p).",
            _jacobian_without_diagonal,
        ),
        Diagnosis(
            "the softmax inside overflowed: compute p with a stable softmax that "
            "subtracts the largest score first (exercise 3.1).",
            _jacobian_of_naive_softmax,
        ),
    ),
)

EXERCISES = (SOFTMAX, DERIVATIVE, LEAKY_RELU, TEMPERATURE, JACOBIAN)

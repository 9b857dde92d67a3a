"""Exercises of chapter 5, Gradient descent (solutions/05_gradient_descent.ipynb)."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _step(w, grad, lr):
    return np.asarray(w, float) - lr * np.asarray(grad, float)


GRADIENT_STEP = Exercise(
    number="5.1",
    title="one gradient-descent step",
    points=1,
    answer="gradient_step",
    arg_names=("w", "grad", "lr"),
    cases=(
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1)),
        Case((-1.0, -10.0, 0.25)),  # one weight, as in the chapter's bowl
        Case(
            (
                np.array([[0.6, 0.4], [0.2, 0.8]]),
                np.array([[1.0, -2.0], [0.5, 3.0]]),
                0.01,
            )
        ),
        Case((np.array([3.0, 4.0]), np.array([1.0, 1.0]), 0.0)),  # lr 0: nothing moves
    ),
    reference=_step,
    diagnoses=(
        Diagnosis(
            "this steps uphill (w + lr * grad); gradient descent subtracts: "
            "w - lr * grad.",
            lambda w, grad, lr: np.asarray(w, float) + lr * np.asarray(grad, float),
        ),
        Diagnosis(
            "the learning rate seems to be missing: the step is lr * grad, not grad.",
            lambda w, grad, lr: np.asarray(w, float) - np.asarray(grad, float),
        ),
    ),
)


def _quadratic_path(H, w_star, w0, lr, steps, *, start=True, sign=-1.0, shift=True):
    H = np.asarray(H, float)
    w_star = np.asarray(w_star, float)
    w = np.asarray(w0, float).copy()
    path = [w.copy()]
    for _ in range(steps):
        grad = H @ (w - w_star) if shift else H @ w
        w = w + sign * lr * grad
        path.append(w.copy())
    path = np.array(path)
    return path if start else path[1:]


def _quadratic_path_reference(H, w_star, w0, lr, steps):
    return _quadratic_path(H, w_star, w0, lr, steps)


_VALLEY = np.diag([1.0, 10.0])  # the chapter's narrow valley

QUADRATIC_PATH = Exercise(
    number="5.2",
    title="gradient descent on a quadratic, returning the path",
    points=3,
    answer="quadratic_descent_path",
    arg_names=("H", "w_star", "w0", "lr", "steps"),
    cases=(
        Case((np.array([[4.0]]), np.array([1.5]), np.array([-1.0]), 0.4, 5)),
        Case((_VALLEY, np.array([1.0, 0.5]), np.array([-3.0, 2.0]), 0.05, 10)),
        Case(
            (
                np.array([[3.0, 1.0], [1.0, 2.0]]),
                np.array([0.0, 1.0]),
                np.array([2.0, -1.0]),
                0.3,
                6,
            )
        ),
        Case((_VALLEY, np.array([1.0, 0.5]), np.array([-3.0, 2.0]), 0.21, 8)),
        Case((np.diag([2.0, 5.0]), np.ones(2), np.zeros(2), 0.1, 0)),  # w0 only
    ),
    reference=_quadratic_path_reference,
    diagnoses=(
        Diagnosis(
            "the starting point w0 seems to be missing: the path has steps + 1 rows, "
            "w0 first.",
            lambda *args: _quadratic_path(*args, start=False),
        ),
        Diagnosis(
            "this steps uphill: the update is w - lr * grad, with "
            "grad = H @ (w - w_star).",
            lambda *args: _quadratic_path(*args, sign=1.0),
        ),
        Diagnosis(
            "the gradient is H @ (w - w_star), not H @ w: measure from the minimiser.",
            lambda *args: _quadratic_path(*args, shift=False),
        ),
        Diagnosis(
            "this is only the final point; return the whole path, "
            "shape (steps + 1, n).",
            lambda *args: _quadratic_path(*args)[-1],
        ),
    ),
)


def _max_stable_lr(H):
    return float(2.0 / np.linalg.eigvalsh(np.asarray(H, float)).max())


MAX_STABLE_LR = Exercise(
    number="5.3",
    title="the largest stable learning rate",
    points=2,
    answer="max_stable_lr",
    arg_names=("H",),
    cases=(
        Case((np.array([[4.0]]),)),  # one weight: 2 / a
        Case((np.diag([1.0, 10.0]),)),
        Case((np.array([[3.0, 1.0], [1.0, 3.0]]),)),  # eigenvalues 2 and 4
        Case((np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]]),)),
        Case((np.array([[0.5, 0.0], [0.0, 0.05]]),)),
    ),
    reference=_max_stable_lr,
    diagnoses=(
        Diagnosis(
            "this is 1 / lambda_max, the largest rate that never overshoots; the "
            "stability limit is twice that, 2 / lambda_max.",
            lambda H: float(1.0 / np.linalg.eigvalsh(np.asarray(H, float)).max()),
        ),
        Diagnosis(
            "this uses the smallest eigenvalue; the largest curvature sets the limit: "
            "2 / lambda_max.",
            lambda H: float(2.0 / np.linalg.eigvalsh(np.asarray(H, float)).min()),
        ),
        Diagnosis(
            "this uses the largest diagonal entry of H; those are the curvatures only "
            "when H is diagonal. Use the largest eigenvalue (np.linalg.eigvalsh).",
            lambda H: float(2.0 / np.max(np.diag(np.asarray(H, float)))),
        ),
    ),
)


def _linear_gradient(X, y, w, b, *, scale=1.0, sign=1.0):
    X, y, w = np.asarray(X, float), np.asarray(y, float), np.asarray(w, float)
    error = sign * (X @ w + b - y)
    return scale * (X.T @ error) / len(y), float(scale * np.mean(error))


def _linear_gradient_reference(X, y, w, b):
    return _linear_gradient(X, y, w, b)


_rng = np.random.default_rng(seed=505)
_X_RANDOM, _Y_RANDOM = _rng.normal(size=(6, 3)), _rng.normal(size=6)
_W_RANDOM = _rng.normal(size=3)

LINEAR_GRADIENT = Exercise(
    number="5.4",
    title="the gradient of the linear-regression loss",
    points=3,
    answer="linear_regression_gradient",
    arg_names=("X", "y", "w", "b"),
    cases=(
        Case(
            (
                np.array([[0.0], [1.0], [2.0], [4.0]]),
                np.array([1.0, 2.0, 4.0, 5.0]),
                np.array([0.5]),
                0.0,
            )
        ),
        Case((_X_RANDOM, _Y_RANDOM, _W_RANDOM, 0.3)),
        Case((np.array([[2.0, -1.0]]), np.array([3.0]), np.array([0.5, 0.5]), 1.0)),
        # at the exact minimiser of the chapter's small data set the gradient is zero
        Case(
            (
                np.array([[0.0], [1.0], [2.0], [4.0]]),
                np.array([1.0, 2.0, 4.0, 5.0]),
                np.array([36 / 35]),
                1.2,
            )
        ),
    ),
    reference=_linear_gradient_reference,
    diagnoses=(
        Diagnosis(
            "this is m times too large: the loss is a mean, so divide the sums by m.",
            lambda X, y, w, b: _linear_gradient(X, y, w, b, scale=len(y)),
        ),
        Diagnosis(
            "this is twice the gradient: with the 1/2 convention the 2 from the square "
            "cancels.",
            lambda X, y, w, b: _linear_gradient(X, y, w, b, scale=2.0),
        ),
        Diagnosis(
            "the sign is flipped: the error is y_hat - y, not y - y_hat.",
            lambda X, y, w, b: _linear_gradient(X, y, w, b, sign=-1.0),
        ),
    ),
)


def _batches(order, batch_size):
    starts = range(0, len(order), batch_size)
    return [order[start : start + batch_size] for start in starts]


def _minibatch_indices(n, batch_size, seed):
    return _batches(np.random.default_rng(seed).permutation(n), batch_size)


MINIBATCHES = Exercise(
    number="5.5",
    title="shuffled mini-batches from a seeded generator",
    points=3,
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
            "this shuffles with rng.choice; the exercise fixes the shuffle as "
            "np.random.default_rng(seed).permutation(n), so that everyone's batches "
            "are the same.",
            lambda n, batch_size, seed: _batches(
                np.random.default_rng(seed).choice(n, n, replace=False), batch_size
            ),
        ),
    ),
)

EXERCISES = (GRADIENT_STEP, QUADRATIC_PATH, MAX_STABLE_LR, LINEAR_GRADIENT, MINIBATCHES)

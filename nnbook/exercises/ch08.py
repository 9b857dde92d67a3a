"""Exercises of chapter 8, Training a network in practice
(``solutions/08_training.ipynb``).

8.1 derivation (initialization for leaky ReLU), 8.2 derivation (the moments of
inverted dropout), 8.3 implementation (dropout's forward and backward, checked by
finite differences), 8.4 implementation (normalization fitted on training data),
8.5 experiment (predict, then measure, the effect of the learning rate on learning
curves), 8.6 design (an early-stopping rule that meets a budget).
"""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise

# ---------------------------------------------------------------------------
# 8.1 derivation: the weight standard deviation that keeps Var z constant through
# leaky-ReLU layers (He's argument with negative slope a).


def _init_std(n_in, n_out, negative_slope):
    return np.sqrt(2.0 / ((1.0 + negative_slope**2) * n_in))


INIT_STD = Exercise(
    number="8.1",
    title="initialization for leaky ReLU layers",
    points=3,
    answer="init_std",
    arg_names=("n_in", "n_out", "negative_slope"),
    cases=(
        Case((64, 64, 0.0)),  # plain ReLU: He's rule
        Case((256, 128, 0.0)),
        Case((100, 10, 0.01)),
        Case((50, 200, 0.2)),
        Case((30, 30, 1.0)),  # slope 1 is the identity: 1 / n_in
        Case((10, 1000, 0.5)),
    ),
    reference=_init_std,
    diagnoses=(
        Diagnosis(
            "this is the variance 2 / ((1 + alpha^2) n_in); the function should return "
            "the standard deviation, its square root.",
            lambda n_in, n_out, a: 2.0 / ((1.0 + a**2) * n_in),
        ),
        Diagnosis(
            "this is Xavier's rule sqrt(2 / (n_in + n_out)), a compromise for tanh "
            "layers; the forward pass of a leaky ReLU layer needs only n_in.",
            lambda n_in, n_out, a: np.sqrt(2.0 / (n_in + n_out)),
        ),
        Diagnosis(
            "this is He's rule for ReLU, sqrt(2 / n_in); with slope alpha the "
            "negative half keeps alpha^2 of its second moment: "
            "E[f(z)^2] = (1 + alpha^2) Var z / 2.",
            lambda n_in, n_out, a: np.sqrt(2.0 / n_in),
        ),
        Diagnosis(
            "the slope enters squared: on the negative half f(z)^2 = alpha^2 z^2, so "
            "the factor is (1 + alpha^2), not (1 + alpha).",
            lambda n_in, n_out, a: np.sqrt(2.0 / ((1.0 + a) * n_in)),
        ),
        Diagnosis(
            "the forward pass sums over the n_in inputs of a unit: use n_in, not "
            "n_out.",
            lambda n_in, n_out, a: np.sqrt(2.0 / ((1.0 + a**2) * n_out)),
        ),
        Diagnosis(
            "this is LeCun's sqrt(1 / n_in), right for tanh or linear units; the "
            "leaky ReLU removes part of the second moment.",
            lambda n_in, n_out, a: np.sqrt(1.0 / n_in),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 8.2 derivation: mean and variance of inverted dropout's output.


def _dropout_moments(a, p):
    a = np.asarray(a, dtype=float)
    return a.copy(), a**2 * p / (1.0 - p)


def _swapped_moments(a, p):
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return a, a**2 * (1 - p) / p


MOMENTS = Exercise(
    number="8.2",
    title="the mean and variance of inverted dropout's output",
    points=2,
    answer="dropout_moments",
    arg_names=("a", "p"),
    cases=(
        Case((np.array([1.0, -2.0, 0.5]), 0.5)),
        Case((np.array([3.0]), 0.2)),
        Case((np.array([[1.0, 0.0], [2.0, -1.5]]), 0.1)),
        Case((np.array([1.0, 2.0]), 0.0)),  # no dropout: no noise
        Case((np.array([0.4, -0.7]), 0.8)),
    ),
    reference=_dropout_moments,
    diagnoses=(
        Diagnosis(
            "these are the moments of dropout without the 1 / (1 - p) rescaling "
            "(mean (1 - p) a); inverted dropout divides the kept values by 1 - p.",
            lambda a, p: (
                (1 - p) * np.asarray(a, float),
                np.asarray(a, float) ** 2 * p * (1 - p),
            ),
        ),
        Diagnosis(
            "the second item is a standard deviation, |a| sqrt(p / (1 - p)); the "
            "exercise asks for the variance, its square.",
            lambda a, p: (
                np.asarray(a, float),
                np.abs(np.asarray(a, float)) * np.sqrt(p / (1 - p)),
            ),
        ),
        Diagnosis(
            "p is the probability of dropping a unit, not of keeping it: a unit is "
            "kept with probability 1 - p.",
            _swapped_moments,
        ),
        Diagnosis(
            "the variance is E[x^2] - E[x]^2; this looks like E[x^2] = a^2 / (1 - p) "
            "without subtracting the squared mean.",
            lambda a, p: (np.asarray(a, float), np.asarray(a, float) ** 2 / (1 - p)),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 8.3 implementation: inverted dropout forward and backward, from uniform draws u.


def _dropout_layer(A, p, u, dOut, training):
    A, dOut = np.asarray(A, float), np.asarray(dOut, float)
    if not training:
        return A.copy(), dOut.copy()
    mask = (np.asarray(u) >= p) / (1.0 - p)
    return A * mask, dOut * mask


_U = np.array([[0.05, 0.62, 0.91, 0.33], [0.48, 0.12, 0.77, 0.5]])
_A = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 4.0, -1.0, 2.5]])
_D = np.array([[0.3, 1.0, -2.0, 0.7], [1.5, -0.4, 0.2, -1.0]])

DROPOUT = Exercise(
    number="8.3",
    title="inverted dropout, forward and backward",
    points=3,
    answer="dropout_layer",
    arg_names=("A", "p", "u", "dOut", "training"),
    cases=(
        Case((_A, 0.5, _U, _D, True)),
        Case((_A, 0.2, _U, _D, True)),
        Case((_A, 0.5, _U, _D, False)),  # test time: nothing changes
        Case((_A[:1], 0.0, _U[:1], _D[:1], True)),  # p = 0 keeps everything
        Case(
            (
                np.array([2.0, -1.0, 1.0]),
                0.5,
                np.array([0.5, 0.4, 0.9]),
                np.array([1.0, 1.0, 1.0]),
                True,
            )
        ),  # u == p is kept
    ),
    reference=_dropout_layer,
    diagnoses=(
        Diagnosis(
            "the kept values are not divided by 1 - p: that is plain dropout, whose "
            "expected output is (1 - p) A; inverted dropout rescales in training.",
            lambda A, p, u, d, tr: (A * (u >= p), d * (u >= p)) if tr else (A, d),
        ),
        Diagnosis(
            "at test time (training=False) inverted dropout changes nothing; the "
            "rescaling already happened during training.",
            lambda A, p, u, d, tr: (
                _dropout_layer(A, p, u, d, True) if tr else (A * (1 - p), d * (1 - p))
            ),
        ),
        Diagnosis(
            "at test time (training=False) inverted dropout changes nothing; dividing "
            "by 1 - p there scales the activations twice.",
            lambda A, p, u, d, tr: (
                _dropout_layer(A, p, u, d, True) if tr else (A / (1 - p), d / (1 - p))
            ),
        ),
        Diagnosis(
            "the backward pass must multiply by the same mask as the forward pass: a "
            "dropped unit passes no gradient.",
            lambda A, p, u, d, tr: (
                (A * (u >= p) / (1 - p), d / (1 - p)) if tr else (A, d)
            ),
        ),
        Diagnosis(
            "the gradient of A * mask / (1 - p) is mask / (1 - p): the backward pass "
            "needs the 1 / (1 - p) factor too.",
            lambda A, p, u, d, tr: (
                (A * (u >= p) / (1 - p), d * (u >= p)) if tr else (A, d)
            ),
        ),
        Diagnosis(
            "a unit is dropped with probability p: keep it where u >= p (u < p has "
            "probability p, so that keeps too few).",
            lambda A, p, u, d, tr: (
                (A * (u < p) / (1 - p), d * (u < p) / (1 - p)) if tr else (A, d)
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 8.4 implementation: standardize new data with statistics of the training data.


def _standardize(X_train, X_new):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_new - mean) / std


def _own_statistics(X_train, X_new):
    return _standardize(X_new, X_new)


def _pooled_statistics(X_train, X_new):
    return _standardize(np.vstack([X_train, X_new]), X_new)


def _divide_by_variance(X_train, X_new):
    var = X_train.var(axis=0)
    return (X_new - X_train.mean(axis=0)) / np.where(var == 0, 1.0, var)


def _per_example(X_train, X_new):
    mean = X_new.mean(axis=1, keepdims=True)
    std = X_new.std(axis=1, keepdims=True)
    return (X_new - mean) / np.where(std == 0, 1.0, std)


def _zero_std(X_train, X_new):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_new - X_train.mean(axis=0)) / X_train.std(axis=0)


def _sample_std(X_train, X_new):
    std = X_train.std(axis=0, ddof=1)
    return (X_new - X_train.mean(axis=0)) / np.where(std == 0, 1.0, std)


_rng = np.random.default_rng(8)
_XT = np.round(_rng.uniform(0, 16, (6, 4)), 1)
_XT[:, 2] = 0.0  # a pixel that is blank in every training image
_XN = np.round(_rng.uniform(0, 16, (3, 4)), 1)
_XN[1, 2] = 5.0

STANDARDIZE = Exercise(
    number="8.4",
    title="normalization fitted on the training set",
    points=2,
    answer="standardize",
    arg_names=("X_train", "X_new"),
    cases=(
        Case((_XT, _XN)),
        Case((_XT, _XN[:1])),  # one new example, as in deployment
        Case((_XT[:, [0, 1, 3]], _XT[:, [0, 1, 3]])),  # the training set itself
        Case(
            (
                np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]]),
                np.array([[3.0, 4.0], [7.0, 2.0]]),
            )
        ),
    ),
    reference=_standardize,
    diagnoses=(
        Diagnosis(
            "these are X_new's own statistics (the test set's): fit the mean and "
            "standard deviation on X_train and apply them to X_new.",
            _own_statistics,
        ),
        Diagnosis(
            "these statistics include X_new: fitting them on training and new data "
            "together leaks the new data into the preprocessing.",
            _pooled_statistics,
        ),
        Diagnosis(
            "this divides by the variance; standardizing divides by the standard "
            "deviation, its square root.",
            _divide_by_variance,
        ),
        Diagnosis(
            "the statistics are per example (axis=1); they should be per pixel, over "
            "the training examples (axis=0).",
            _per_example,
        ),
        Diagnosis(
            "a pixel that is constant in X_train has standard deviation 0; divide by 1 "
            "there instead of producing inf or nan.",
            _zero_std,
        ),
        Diagnosis(
            "this uses the sample standard deviation (ddof=1); use np.std's default, "
            "the population standard deviation (ddof=0), as the chapter does.",
            _sample_std,
        ),
    ),
)

# ---------------------------------------------------------------------------
# 8.5 experiment: full-batch gradient descent on softmax regression, four
# learning rates: predict, then measure the learning curves.

LEARNING_RATES = (0.01, 0.1, 1.0, 10.0)
STEPS = 100
LR_CONCLUSIONS = ("a", "b", "c", "d")  # listed in the exercise's text; "c" is right


def _lr_data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data[:500] / 16.0, digits.target[:500]


def lr_curves() -> np.ndarray:
    """The reference run of 8.5: training loss before each step and after the last,
    one row per learning rate in LEARNING_RATES, shape (4, STEPS + 1)."""
    X, y = _lr_data()
    rows = []
    for lr in LEARNING_RATES:
        W, b = np.zeros((X.shape[1], 10)), np.zeros(10)
        losses = []
        for step in range(STEPS + 1):
            Z = X @ W + b
            Z = Z - Z.max(axis=1, keepdims=True)
            log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
            losses.append(-log_p[np.arange(len(y)), y].mean())
            if step == STEPS:
                break
            G = np.exp(log_p)
            G[np.arange(len(y)), y] -= 1.0
            G /= len(y)
            W -= lr * X.T @ G
            b -= lr * G.sum(axis=0)
        rows.append(losses)
    return np.array(rows)


def _judge_lr(value) -> tuple[bool, str]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False, (
            "`lr_experiment` should be a pair: (an array of shape (4, 101) with the "
            "losses, the letter of the conclusion)."
        )
    curves, letter = value
    if isinstance(letter, str):  # "C", "(c)" and " c" name conclusion c too
        letter = letter.strip().strip("()").strip().lower()
    try:
        curves = np.asarray(curves, dtype=float)
    except (TypeError, ValueError):
        return False, "the first item should be an array of numbers of shape (4, 101)."
    expected = lr_curves()
    ok, lines = True, []
    if curves.shape != expected.shape:
        ok = False
        lines.append(
            f"the losses should have shape {expected.shape}, got {curves.shape}."
        )
        if curves.shape == (4, STEPS):
            lines.append("  Hint: include the loss before the first step (101 values).")
        elif curves.shape == expected.T.shape:
            lines.append("  Hint: one row per learning rate, one column per step.")
    elif not np.allclose(curves, expected, rtol=1e-5, atol=1e-8):
        ok = False
        lines.append(
            "the losses differ from the expected run; first values expected "
            f"{np.round(expected[:, :3], 4).tolist()}, obtained "
            f"{np.round(curves[:, :3], 4).tolist()}"
        )
        if np.allclose(curves, expected[::-1], rtol=1e-5, atol=1e-8):
            lines.append("  Hint: the rows are in reverse order: 0.01 first.")
        elif np.allclose(curves[:, 1], expected[:, 0]):
            lines.append("  Hint: record the loss before each step, starting at W = 0.")
    if letter not in LR_CONCLUSIONS:
        ok = False
        lines.append(f"the conclusion should be one of {list(LR_CONCLUSIONS)}.")
    elif letter != "c":
        ok = False
        lines.append(
            f"conclusion {letter!r} does not match the numbers: look at the largest "
            "learning rate's first ten losses and at every curve's last loss."
        )
    return ok, "\n".join(lines)


LR_EXPERIMENT = Exercise(
    number="8.5",
    title="the learning rate and the learning curves",
    points=2,
    answer="lr_experiment",
    judge_value=_judge_lr,
)

# ---------------------------------------------------------------------------
# 8.6 design: an early-stopping rule (patience, min_delta) for three noisy
# validation curves, within an epoch budget.

EPOCH_BUDGET = 330
QUALITY = 0.03  # the kept epoch's loss may exceed the curve's minimum by this much


def validation_curves() -> np.ndarray:
    """The three validation-loss curves of 8.6, 200 epochs each, shape (3, 200)."""
    t = np.arange(1, 201)
    rng = np.random.default_rng(8)
    smooth = [
        0.25 + 2.0 * np.exp(-t / 8) + 0.0015 * np.maximum(t - 50, 0),
        1.0 - 0.6 / (1 + np.exp(-(t - 40) / 3)) + 0.002 * np.maximum(t - 70, 0),
        0.3 + 1.5 * np.exp(-t / 30) + 0.0005 * np.maximum(t - 120, 0),
    ]
    return np.array([c + rng.normal(0.0, 0.015, t.size) for c in smooth])


def run_rule(curve, patience, min_delta) -> tuple[int, int]:
    """(kept epoch, last epoch trained) of the rule on one curve (epochs from 1)."""
    best, best_epoch = np.inf, 0
    for epoch, loss in enumerate(curve, start=1):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(curve)


def _judge_rule(value) -> tuple[bool, str]:
    try:
        patience, min_delta = value
        patience_value, min_delta = float(patience), float(min_delta)
    except (TypeError, ValueError):
        return False, (
            "`early_stopping_rule` should be two numbers: (patience, min_delta)."
        )
    if isinstance(patience, bool) or patience_value != int(patience_value):
        return False, (
            f"the patience is a whole number of epochs, got {patience!r}: the rule "
            "compares it with a count of epochs."
        )
    patience = int(patience_value)
    if patience < 1 or min_delta < 0:
        return False, f"need patience >= 1 and min_delta >= 0, got {value}."
    curves = validation_curves()
    ok, lines, total = True, [], 0
    for index, curve in enumerate(curves):
        kept, last = run_rule(curve, patience, min_delta)
        total += last
        gap = curve[kept - 1] - curve.min()
        verdict = "ok" if gap <= QUALITY else "too far from the minimum"
        ok &= gap <= QUALITY
        lines.append(
            f"curve {index}: stopped after epoch {last}, kept epoch {kept} "
            f"(loss {curve[kept - 1]:.3f}, minimum {curve.min():.3f} at epoch "
            f"{int(curve.argmin()) + 1}): {verdict}"
        )
    lines.append(f"epochs trained: {total} (budget {EPOCH_BUDGET})")
    if total > EPOCH_BUDGET:
        ok = False
        lines.append("  over budget: the patience is longer than the curves need.")
    return ok, "\n".join(lines)


EARLY_STOPPING = Exercise(
    number="8.6",
    title="an early-stopping rule within a budget",
    points=3,
    answer="early_stopping_rule",
    judge_value=_judge_rule,
)

EXERCISES = (INIT_STD, MOMENTS, DROPOUT, STANDARDIZE, LR_EXPERIMENT, EARLY_STOPPING)

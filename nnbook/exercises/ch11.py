"""Exercises of chapter 11, A transformer block from scratch
(``solutions/11_transformer.ipynb``).

11.1 derivation (RMS normalization's backward pass), 11.2 prediction (a block's
parameter count), 11.3 experiment with a conclusion (copy and reverse without
positional encodings), 11.4 design (attention weights that reverse four positions),
11.5 implementation (the embedding's gradient by scatter-add).
"""

from __future__ import annotations

import math

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise

# ---------------------------------------------------------------------------
# 11.1 derivation: the backward pass of RMS normalization,
# y = gain * x / r with r = sqrt(mean(x^2) + eps) over the last axis.


def _rms_parts(dY, X, gain, eps):
    dY, X = np.asarray(dY, dtype=float), np.asarray(X, dtype=float)
    r = np.sqrt((X**2).mean(axis=-1, keepdims=True) + eps)
    X_hat = X / r
    return dY, X_hat, r, dY * gain, tuple(range(X.ndim - 1))


def _rms_backward(dY, X, gain, eps):
    dY, X_hat, r, dX_hat, rows = _rms_parts(dY, X, gain, eps)
    dX = (dX_hat - X_hat * (dX_hat * X_hat).mean(axis=-1, keepdims=True)) / r
    return dX, (dY * X_hat).sum(axis=rows)


def _rms_no_mean_term(dY, X, gain, eps):
    dY, X_hat, r, dX_hat, rows = _rms_parts(dY, X, gain, eps)
    return dX_hat / r, (dY * X_hat).sum(axis=rows)


def _rms_like_layer_norm(dY, X, gain, eps):
    dY, X_hat, r, dX_hat, rows = _rms_parts(dY, X, gain, eps)
    dX = (
        dX_hat
        - dX_hat.mean(axis=-1, keepdims=True)
        - X_hat * (dX_hat * X_hat).mean(axis=-1, keepdims=True)
    ) / r
    return dX, (dY * X_hat).sum(axis=rows)


def _rms_sum_not_mean(dY, X, gain, eps):
    dY, X_hat, r, dX_hat, rows = _rms_parts(dY, X, gain, eps)
    dX = (dX_hat - X_hat * (dX_hat * X_hat).sum(axis=-1, keepdims=True)) / r
    return dX, (dY * X_hat).sum(axis=rows)


def _rms_gain_over_features(dY, X, gain, eps):
    dX, _ = _rms_backward(dY, X, gain, eps)
    _, X_hat, _, _, _ = _rms_parts(dY, X, gain, eps)
    return dX, (np.asarray(dY, dtype=float) * X_hat).sum(axis=-1)


def _rms_gain_not_summed(dY, X, gain, eps):
    dX, _ = _rms_backward(dY, X, gain, eps)
    _, X_hat, _, _, _ = _rms_parts(dY, X, gain, eps)
    return dX, np.asarray(dY, dtype=float) * X_hat


def _rms_without_eps(dY, X, gain, eps):
    return _rms_backward(dY, X, gain, 0.0)


def _rms_cases():
    rng = np.random.default_rng(1101)
    cases = []
    for shape in [(3, 4), (2, 3, 5), (4, 4)]:  # (4, 4): rows and features alike
        d = shape[-1]
        cases.append(
            Case(
                (
                    rng.normal(size=shape),
                    rng.normal(size=shape),
                    rng.normal(size=d),
                    1e-5,
                )
            )
        )
    # tiny inputs: eps is as large as mean(x^2) and must not be left out
    cases.append(
        Case(
            (
                rng.normal(size=(2, 3)),
                1e-3 * rng.normal(size=(2, 3)),
                np.array([1.0, 2.0, -0.5]),
                1e-6,
            )
        )
    )
    return tuple(cases)


RMS_BACKWARD = Exercise(
    number="11.1",
    title="the backward pass of RMS normalization",
    points=3,
    answer="rms_norm_backward",
    arg_names=("dY", "X", "gain", "eps"),
    cases=_rms_cases(),
    reference=_rms_backward,
    rtol=1e-6,
    atol=1e-9,
    diagnoses=(
        Diagnosis(
            "dX is missing a term: x_hat = x / r depends on every x_j through r, "
            "so subtract x_hat times the row mean of (dY * gain * x_hat), then "
            "divide by r.",
            _rms_no_mean_term,
        ),
        Diagnosis(
            "this is layer norm's backward pass: RMS normalization subtracts no "
            "mean in the forward pass, so the mean of dx_hat is not subtracted "
            "either.",
            _rms_like_layer_norm,
        ),
        Diagnosis(
            "the correction term uses a sum over the d features where a mean belongs "
            "(r contains the mean of x^2, so each derivative carries a 1/d).",
            _rms_sum_not_mean,
        ),
        Diagnosis(
            "dgain is summed over the feature axis; the gain has one entry per "
            "feature and is shared by every row, so sum over the rows (every axis "
            "but the last).",
            _rms_gain_over_features,
        ),
        Diagnosis(
            "dgain is not summed: the gain is shared by every row, so its gradient "
            "adds up the contributions of all rows and has shape (d,).",
            _rms_gain_not_summed,
        ),
        Diagnosis(
            "eps is missing: r = sqrt(mean(x^2) + eps), and for small inputs eps "
            "matters.",
            _rms_without_eps,
        ),
    ),
)

# ---------------------------------------------------------------------------
# 11.2 prediction: the parameters of one of the chapter's blocks.


def _block_parameters(d, d_ff, heads):
    return 4 * d * d + 2 * d * d_ff + d_ff + d + 4 * d


BLOCK_PARAMETERS = Exercise(
    number="11.2",
    title="the number of parameters of a block",
    points=2,
    answer="block_parameters",
    arg_names=("d", "d_ff", "heads"),
    cases=(
        Case((16, 64, 2)),
        Case((16, 64, 1)),
        Case((512, 2048, 8)),
        Case((64, 100, 4)),
        Case((768, 3072, 12)),
    ),
    reference=_block_parameters,
    rtol=0,
    atol=0,  # a count is a whole number: 0.4 off is wrong, not rounding
    diagnoses=(
        Diagnosis(
            "the number of heads changes nothing: the heads split the d columns of "
            "W_Q, W_K and W_V into groups, they do not add columns.",
            lambda d, d_ff, heads: heads * 4 * d * d + 2 * d * d_ff + d_ff + 5 * d,
        ),
        Diagnosis(
            "the two layer norms are missing: each has a gain and a bias of width d.",
            lambda d, d_ff, heads: 4 * d * d + 2 * d * d_ff + d_ff + d,
        ),
        Diagnosis(
            "the MLP's biases are missing: b_1 has d_ff entries and b_2 has d.",
            lambda d, d_ff, heads: 4 * d * d + 2 * d * d_ff + 4 * d,
        ),
        Diagnosis(
            "the chapter's attention projections have no biases (this counts 4d more).",
            lambda d, d_ff, heads: 4 * d * d + 2 * d * d_ff + d_ff + 9 * d,
        ),
        Diagnosis(
            "the output projection W_O (d x d) is missing.",
            lambda d, d_ff, heads: 3 * d * d + 2 * d * d_ff + d_ff + 5 * d,
        ),
        Diagnosis(
            "the MLP has two weight matrices, W_1 (d x d_ff) and W_2 (d_ff x d).",
            lambda d, d_ff, heads: 4 * d * d + d * d_ff + d_ff + 5 * d,
        ),
    ),
)

# ---------------------------------------------------------------------------
# 11.3 experiment: copy and reverse, with and without positional encodings.

# The conclusions the learner chooses from are listed in the exercise's text
# (solutions/11_transformer.ipynb); "b" is the one the numbers support.
POSITION_CONCLUSIONS = ("a", "b", "c", "d")


def _judge_positions(value) -> tuple[bool, str]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False, (
            "`position_experiment` should be a pair: (an array of shape (2, 2) of "
            "held-out sequence accuracies, the letter of the conclusion)."
        )
    accuracies, letter = value
    try:
        accuracies = np.asarray(accuracies, dtype=float)
    except (TypeError, ValueError):
        return False, "the first item should be a (2, 2) array of accuracies."
    lines: list[str] = []
    ok = True
    if accuracies.shape != (2, 2):
        shape = accuracies.shape
        return False, f"the accuracies should have shape (2, 2), got {shape}."
    if not np.all((accuracies >= 0) & (accuracies <= 1)):
        return False, "accuracies are fractions between 0 and 1 (not percentages)."
    expected_high = np.array([[True, True], [True, False]])
    high = accuracies >= 0.9
    low = accuracies <= 0.1
    if not np.all(np.where(expected_high, high, low)):
        ok = False
        lines.append(
            "these accuracies are not what train_and_test gives: with positions both "
            "tasks reach at least 0.9, and without them one task stays near 0. Rows: "
            "copy, reverse; columns: with, without positions."
        )
        if np.all(np.where(expected_high[::-1], high, low)):
            lines.append("  Hint: the rows are swapped: copy first, then reverse.")
    if letter not in POSITION_CONCLUSIONS:
        ok = False
        lines.append(f"the conclusion should be one of {sorted(POSITION_CONCLUSIONS)}.")
    elif letter != "b":
        ok = False
        lines.append(
            f"conclusion {letter!r} does not match the numbers: compare the two "
            "columns, task by task."
        )
    if ok:
        lines.append("the accuracies and the conclusion agree with the experiment.")
    return ok, "\n".join(lines)


POSITIONS = Exercise(
    number="11.3",
    title="copy and reverse without positional encodings",
    points=3,
    answer="position_experiment",
    judge_value=_judge_positions,
)

# ---------------------------------------------------------------------------
# 11.4 design: W_Q, W_K on one-hot positions whose attention reverses 4 positions.

N_REVERSE = 4
MIN_WEIGHT = 0.99


def reverse_weights(W_Q, W_K) -> np.ndarray:
    """The attention weights of four one-hot positions under W_Q, W_K (n, d_k)."""
    P = np.eye(N_REVERSE)
    scores = (P @ W_Q) @ (P @ W_K).T / math.sqrt(W_K.shape[1])
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)


def _judge_reverse(value) -> tuple[bool, str]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False, "`reverse_attention` should be a pair of arrays: (W_Q, W_K)."
    try:
        W_Q, W_K = (np.asarray(v, dtype=float) for v in value)
    except (TypeError, ValueError):
        return False, "W_Q and W_K should be arrays of numbers."
    rows = (W_Q.shape[0], W_K.shape[0]) if W_Q.ndim == W_K.ndim == 2 else None
    if rows != (N_REVERSE, N_REVERSE):
        return False, (
            f"W_Q and W_K should have shape ({N_REVERSE}, d_k): one row per position; "
            f"got {W_Q.shape} and {W_K.shape}."
        )
    if W_Q.shape[1] != W_K.shape[1] or W_Q.shape[1] == 0:
        return False, (
            "queries and keys need the same width d_k to be compared; got "
            f"{W_Q.shape[1]} and {W_K.shape[1]}."
        )
    if not (np.all(np.isfinite(W_Q)) and np.all(np.isfinite(W_K))):
        return False, "W_Q and W_K must be finite."
    with np.errstate(all="ignore"):
        weights = reverse_weights(W_Q, W_K)
    if not np.all(np.isfinite(weights)):
        return False, "the scores overflow: use smaller numbers."
    mirror = weights[np.arange(N_REVERSE), N_REVERSE - 1 - np.arange(N_REVERSE)]
    shown = "weights:\n" + "\n".join(
        "  " + " ".join(f"{w:.3f}" for w in row) for row in weights
    )
    if mirror.min() >= MIN_WEIGHT:
        return True, f"every position puts at least {mirror.min():.3f} on its mirror."
    looks = weights.argmax(axis=1)
    if np.array_equal(looks, N_REVERSE - 1 - np.arange(N_REVERSE)):
        hint = (
            "the pattern is right but too soft: the smallest weight on the mirror is "
            f"{mirror.min():.3f} (need {MIN_WEIGHT}). Scale the weights up; the scores "
            "are divided by sqrt(d_k)."
        )
    elif np.array_equal(looks, np.arange(N_REVERSE)):
        hint = (
            "each position attends to itself: that copies. Reversal needs position i "
            "to look at position 3 - i."
        )
    else:
        hint = (
            f"position i looks most at {looks.tolist()} (for i = 0..3); reversal needs "
            "[3, 2, 1, 0]. Query i must match key 3 - i best."
        )
    return False, hint + "\n" + shown


REVERSE_ATTENTION = Exercise(
    number="11.4",
    title="attention weights that reverse four positions",
    points=3,
    answer="reverse_attention",
    judge_value=_judge_reverse,
)

# ---------------------------------------------------------------------------
# 11.5 implementation: the embedding's gradient by scatter-add.


def _embedding_backward(tokens, dX, vocab):
    tokens = np.asarray(tokens)
    dX = np.asarray(dX, dtype=float)
    dE = np.zeros((vocab, dX.shape[-1]))
    np.add.at(dE, tokens.reshape(-1), dX.reshape(-1, dX.shape[-1]))
    return dE


def _embedding_last_write(tokens, dX, vocab):
    tokens = np.asarray(tokens)
    dX = np.asarray(dX, dtype=float)
    dE = np.zeros((vocab, dX.shape[-1]))
    dE[tokens.reshape(-1)] += dX.reshape(-1, dX.shape[-1])
    return dE


def _embedding_mean(tokens, dX, vocab):
    dE = _embedding_backward(tokens, dX, vocab)
    counts = np.bincount(np.asarray(tokens).reshape(-1), minlength=vocab)
    return dE / np.maximum(counts, 1)[:, None]


def _embedding_cases():
    rng = np.random.default_rng(1105)
    return (
        Case((np.array([[3, 1, 3, 3], [0, 1, 2, 4]]), rng.normal(size=(2, 4, 3)), 5)),
        Case((np.array([[7, 7, 7]]), rng.normal(size=(1, 3, 2)), 10)),  # one token
        Case((np.array([[0, 2], [2, 0], [5, 5]]), rng.normal(size=(3, 2, 4)), 8)),
        Case((rng.integers(0, 10, size=(6, 6)), rng.normal(size=(6, 6, 16)), 10)),
    )


EMBEDDING_BACKWARD = Exercise(
    number="11.5",
    title="the embedding's gradient without one-hot rows",
    points=2,
    answer="embedding_backward",
    arg_names=("tokens", "dX", "vocab"),
    cases=_embedding_cases(),
    reference=_embedding_backward,
    diagnoses=(
        Diagnosis(
            "a token that appears several times keeps only one of its gradients: "
            "with repeated indices, dE[tokens] += dX writes each row once. Add them "
            "all (np.add.at, or a loop over the positions).",
            _embedding_last_write,
        ),
        Diagnosis(
            "the gradients of a repeated token are averaged; they add up, because the "
            "loss depends on that row of E through every position holding the token.",
            _embedding_mean,
        ),
    ),
)

EXERCISES = (
    RMS_BACKWARD,
    BLOCK_PARAMETERS,
    POSITIONS,
    REVERSE_ATTENTION,
    EMBEDDING_BACKWARD,
)

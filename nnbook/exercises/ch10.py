"""Exercises of chapter 10, Attention (``solutions/10_attention.ipynb``).

10.1 derivation, 10.2 prediction, 10.3 implementation of what the chapter did not
write (cross-attention), 10.4 design.
"""

from __future__ import annotations

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise


def _softmax_rows(Z):
    Z = Z - Z.max(axis=-1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------
# 10.1 derivation: dL/dT for A = softmax(S / T), given dA = dL/dA.


def _temperature_gradient(S, T, dA):
    A = _softmax_rows(S / T)
    dZ = A * (dA - (dA * A).sum(axis=-1, keepdims=True))
    return float((dZ * (-S / T**2)).sum())


_rng = np.random.default_rng(1010)
_S1, _dA1 = _rng.normal(size=(2, 4, 4))
_S2, _dA2 = _rng.normal(size=(2, 3, 5)) * 2
_S3 = np.array([[1.0, 0.0], [0.0, 3.0]])
_dA3 = np.array([[1.0, -1.0], [0.5, 0.0]])

TEMPERATURE = Exercise(
    number="10.1",
    title="the gradient of a loss with respect to the temperature",
    points=3,
    answer="temperature_gradient",
    arg_names=("S", "T", "dA"),
    cases=(
        Case((_S3, 1.0, _dA3)),
        Case((_S1, 0.5, _dA1)),
        Case((_S2, 2.0, _dA2)),  # not square: 3 queries, 5 keys
        Case((_S1, 1.0, np.ones((4, 4)))),  # dA constant along rows: gradient 0
    ),
    reference=_temperature_gradient,
    rtol=1e-7,
    diagnoses=(
        Diagnosis(
            "the sign is flipped: d(S/T)/dT = -S / T^2.",
            lambda S, T, dA: -_temperature_gradient(S, T, dA),
        ),
        Diagnosis(
            "this skips the softmax's Jacobian: dL/dZ = A * (dA - rowsum(dA * A)), "
            "not dA.",
            lambda S, T, dA: float((dA * (-S / T**2)).sum()),
        ),
        Diagnosis(
            "the softmax runs along each row (over the keys): sum dA * A along axis "
            "-1, not axis 0.",
            lambda S, T, dA: float(
                (
                    _softmax_rows(S / T)
                    * (dA - (dA * _softmax_rows(S / T)).sum(axis=0, keepdims=True))
                    * (-S / T**2)
                ).sum()
            ),
        ),
        Diagnosis(
            "the power of T looks wrong: d(S/T)/dT = -S / T^2, not -S / T.",
            lambda S, T, dA: _temperature_gradient(S, T, dA) * T,
        ),
    ),
)

# ---------------------------------------------------------------------------
# 10.2 prediction: causal attention weights when every score is equal.


def _causal_uniform(n):
    rows = np.arange(1, n + 1, dtype=float)[:, None]
    return np.tril(np.ones((n, n))) / rows


CAUSAL = Exercise(
    number="10.2",
    title="causal weights when every score is equal",
    points=2,
    answer="causal_uniform",
    arg_names=("n",),
    cases=(Case((1,)), Case((2,)), Case((4,)), Case((7,))),
    reference=_causal_uniform,
    diagnoses=(
        Diagnosis(
            "this is the transpose: row i (a query) may look at keys j <= i, so the "
            "weights sit on and below the diagonal.",
            lambda n: _causal_uniform(n).T,
        ),
        Diagnosis(
            "the rows do not sum to 1: the softmax renormalizes over the i + 1 keys a "
            "query may see, not over all n.",
            lambda n: np.tril(np.ones((n, n))) / n,
        ),
        Diagnosis(
            "a token may attend to itself: the causal mask allows j <= i, diagonal "
            "included.",
            lambda n: (
                np.tril(np.ones((n, n)), -1)
                / np.maximum(np.arange(n, dtype=float)[:, None], 1)
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 10.3 implementation: cross-attention (queries from one sequence, keys and values
# from another).


def _cross_attention(X_q, X_kv, W_Q, W_K, W_V):
    Q, K, V = X_q @ W_Q, X_kv @ W_K, X_kv @ W_V
    return _softmax_rows(Q @ K.T / np.sqrt(K.shape[-1])) @ V


def _cases_cross():
    rng = np.random.default_rng(1003)
    cases = []
    for n_q, n_kv, d, d_k, d_v in ((2, 3, 4, 2, 3), (4, 4, 3, 3, 2), (1, 5, 6, 4, 4)):
        cases.append(
            Case(
                (
                    rng.normal(size=(n_q, d)),
                    rng.normal(size=(n_kv, d)),
                    rng.normal(size=(d, d_k)),
                    rng.normal(size=(d, d_k)),
                    rng.normal(size=(d, d_v)),
                )
            )
        )
    return tuple(cases)


CROSS = Exercise(
    number="10.3",
    title="cross-attention between two sequences",
    points=3,
    answer="cross_attention",
    arg_names=("X_q", "X_kv", "W_Q", "W_K", "W_V"),
    cases=_cases_cross(),
    reference=_cross_attention,
    diagnoses=(
        Diagnosis(
            "the scores are not scaled by 1 / sqrt(d_k).",
            lambda X_q, X_kv, W_Q, W_K, W_V: (
                _softmax_rows((X_q @ W_Q) @ (X_kv @ W_K).T) @ (X_kv @ W_V)
            ),
        ),
        Diagnosis(
            "the softmax runs over the wrong axis: each query's weights (a row) sum "
            "to 1 over the keys.",
            lambda X_q, X_kv, W_Q, W_K, W_V: (
                (lambda S: np.exp(S - S.max(0)) / np.exp(S - S.max(0)).sum(0))(
                    (X_q @ W_Q) @ (X_kv @ W_K).T / np.sqrt(W_K.shape[1])
                )
                @ (X_kv @ W_V)
            ),
        ),
        Diagnosis(
            "the scale uses the model width d; it is 1 / sqrt(d_k), the width of the "
            "queries and keys.",
            lambda X_q, X_kv, W_Q, W_K, W_V: (
                _softmax_rows((X_q @ W_Q) @ (X_kv @ W_K).T / np.sqrt(X_q.shape[1]))
                @ (X_kv @ W_V)
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 10.4 design: a head that attends to the previous token.

POSITIONS = 6
THRESHOLD = 0.9


def _judge_previous(value) -> tuple[bool, str]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False, "`previous_token_head` should be a pair (W_Q, W_K)."
    try:
        W_Q, W_K = (np.asarray(v, dtype=float) for v in value)
    except (TypeError, ValueError):
        return False, "W_Q and W_K should be arrays of numbers."
    if W_Q.ndim != 2 or W_Q.shape[0] != POSITIONS or W_Q.shape != W_K.shape:
        return False, (
            f"W_Q and W_K should both have shape ({POSITIONS}, d_k), got "
            f"{W_Q.shape} and {W_K.shape}."
        )
    if not (np.all(np.isfinite(W_Q)) and np.all(np.isfinite(W_K))):
        return False, "W_Q and W_K must be finite."
    X = np.eye(POSITIONS)  # one-hot positions
    d_k = W_Q.shape[1]
    weights = _softmax_rows((X @ W_Q) @ (X @ W_K).T / np.sqrt(d_k))
    previous = np.array([weights[i, i - 1] for i in range(1, POSITIONS)])
    if np.all(previous >= THRESHOLD):
        return True, ""
    rows = [
        f"position {i}: weight on position {i - 1} is {p:.3f}"
        + ("" if p >= THRESHOLD else f"  <- needs >= {THRESHOLD}")
        for i, p in zip(range(1, POSITIONS), previous, strict=True)
    ]
    hint = ""
    if np.all(np.array([weights[i, i] for i in range(POSITIONS)]) >= THRESHOLD):
        hint = "\nHint: every position attends to itself: shift the query by one."
    elif np.all(
        np.array([weights[i, i + 1] for i in range(POSITIONS - 1)]) >= THRESHOLD
    ):
        hint = "\nHint: every position attends to the NEXT one: shift the other way."
    return False, "Not yet a previous-token head:\n" + "\n".join(
        "  " + r for r in rows
    ) + hint


PREVIOUS = Exercise(
    number="10.4",
    title="a head that attends to the previous token",
    points=3,
    answer="previous_token_head",
    judge_value=_judge_previous,
)

EXERCISES = (TEMPERATURE, CAUSAL, CROSS, PREVIOUS)

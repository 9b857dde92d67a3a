"""Chapter 10's checks: right answers pass, plausible wrong answers fail with help."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from conftest import SOLUTIONS

from nnbook.exercises import evaluate
from nnbook.exercises.ch10 import _softmax_rows


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's code cells, run as a learner would (checks left out)."""
    notebook = nbformat.read(SOLUTIONS / "10_attention.ipynb", as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "check(" not in cell.source:
            exec(compile(cell.source, cell.id, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("number", ["10.1", "10.2", "10.3", "10.4"])
def test_the_solution_passes(solution, number):
    assert evaluate(number, solution).passed


# 10.1 --------------------------------------------------------------------------


def right_temperature_gradient(S, T, dA, axis=-1, power=2, sign=-1):
    A = _softmax_rows(S / T)
    dZ = A * (dA - (dA * A).sum(axis=axis, keepdims=True))
    return float((dZ * (sign * S / T**power)).sum())


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda S, T, dA: right_temperature_gradient(S, T, dA, sign=1),
            "sign is flipped",
        ),
        (
            lambda S, T, dA: right_temperature_gradient(S, T, dA, axis=0),
            "along each row",
        ),
        (
            lambda S, T, dA: right_temperature_gradient(S, T, dA, power=1),
            "power of T",
        ),
        (lambda S, T, dA: float((dA * (-S / T**2)).sum()), "softmax's Jacobian"),
    ],
    ids=["sign", "wrong axis", "power", "no Jacobian"],
)
def test_wrong_temperature_gradients_are_rejected_with_a_hint(wrong, hint):
    report = evaluate("10.1", {"temperature_gradient": wrong})
    assert not report.passed and hint in report.report()


def test_the_derivative_with_respect_to_the_inverse_temperature_is_rejected():
    # dL/d(1/T) = sum(dZ * S): the right chain rule for beta = 1/T, not for T
    def beta_gradient(S, T, dA):
        A = _softmax_rows(S / T)
        return float((A * (dA - (dA * A).sum(axis=-1, keepdims=True)) * S).sum())

    assert not evaluate("10.1", {"temperature_gradient": beta_gradient}).passed


def test_a_softmax_of_the_unscaled_scores_is_rejected():
    # the chain factor -S/T^2 is right, but the Jacobian is taken at softmax(S)
    def unscaled(S, T, dA):
        A = _softmax_rows(S)
        return float(
            (A * (dA - (dA * A).sum(axis=-1, keepdims=True)) * -S / T**2).sum()
        )

    assert not evaluate("10.1", {"temperature_gradient": unscaled}).passed


# 10.2 --------------------------------------------------------------------------


def test_upper_triangular_weights_are_rejected_as_a_transpose():
    def causal_uniform(n):
        return (np.tril(np.ones((n, n))) / np.arange(1, n + 1)[:, None]).T

    report = evaluate("10.2", {"causal_uniform": causal_uniform})
    assert not report.passed and "transpose" in report.report()


def test_weights_not_renormalized_are_rejected():
    report = evaluate(
        "10.2", {"causal_uniform": lambda n: np.tril(np.ones((n, n))) / n}
    )
    assert not report.passed and "do not sum to 1" in report.report()


def test_a_mask_without_the_diagonal_is_rejected():
    def causal_uniform(n):
        return np.tril(np.ones((n, n)), -1) / np.maximum(np.arange(n)[:, None], 1)

    report = evaluate("10.2", {"causal_uniform": causal_uniform})
    assert not report.passed and "diagonal included" in report.report()


# 10.3 --------------------------------------------------------------------------


def cross(scale="d_k", axis=-1, self_attention=False):
    def cross_attention(X_q, X_kv, W_Q, W_K, W_V):
        source = X_q if self_attention else X_kv
        Q, K, V = X_q @ W_Q, source @ W_K, source @ W_V
        divisor = {"d_k": np.sqrt(K.shape[1]), "d": np.sqrt(X_q.shape[1]), None: 1}
        S = Q @ K.T / divisor[scale]
        A = np.exp(S - S.max(axis=axis, keepdims=True))
        A /= A.sum(axis=axis, keepdims=True)
        return A @ V

    return cross_attention


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (cross(scale=None), "not scaled"),
        (cross(axis=0), "wrong axis"),
        (cross(scale="d"), "model width"),
    ],
    ids=["no scale", "wrong axis", "scaled by d"],
)
def test_wrong_cross_attention_is_rejected_with_a_hint(wrong, hint):
    report = evaluate("10.3", {"cross_attention": wrong})
    assert not report.passed and hint in report.report()


@pytest.mark.parametrize(
    "divisor",
    [
        lambda K, V: np.sqrt(V.shape[1]),
        lambda K, V: np.sqrt(K.shape[0]),
        lambda K, V: K.shape[1],
    ],
    ids=["sqrt(d_v)", "sqrt(n_kv)", "d_k without the root"],
)
def test_cross_attention_with_another_scale_is_rejected(divisor):
    def cross_attention(X_q, X_kv, W_Q, W_K, W_V):
        Q, K, V = X_q @ W_Q, X_kv @ W_K, X_kv @ W_V
        return _softmax_rows(Q @ K.T / divisor(K, V)) @ V

    assert not evaluate("10.3", {"cross_attention": cross_attention}).passed


def test_self_attention_in_place_of_cross_attention_is_rejected():
    report = evaluate("10.3", {"cross_attention": cross(self_attention=True)})
    assert not report.passed


# 10.4 --------------------------------------------------------------------------


def test_a_head_that_attends_to_itself_is_rejected_with_a_hint():
    report = evaluate("10.4", {"previous_token_head": (4 * np.eye(6), 4 * np.eye(6))})
    assert not report.passed and "attends to itself" in report.report()


def test_a_head_that_attends_to_the_next_token_is_rejected_with_a_hint():
    head = (4 * np.eye(6, k=1), 4 * np.eye(6))
    report = evaluate("10.4", {"previous_token_head": head})
    assert not report.passed and "NEXT" in report.report()


def test_a_head_whose_preference_is_too_weak_is_rejected():
    head = (1.0 * np.eye(6, k=-1), 1.0 * np.eye(6))
    report = evaluate("10.4", {"previous_token_head": head})
    assert not report.passed and "needs >= 0.9" in report.report()


def test_matrices_of_the_wrong_shape_are_rejected():
    report = evaluate("10.4", {"previous_token_head": (np.eye(5), np.eye(5))})
    assert not report.passed and "shape (6, d_k)" in report.report()

"""Chapter 3: the saved softmax survives large scores; wrong answers get hints."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

from nnbook.exercises import evaluate
from nnbook.nn import gelu, leaky_relu, softmax


def exact_softmax(scores) -> np.ndarray:
    """Softmax evaluated by SymPy with 40 significant digits, then rounded to floats."""
    exps = [sp.exp(sp.Rational(str(s))) for s in scores]
    total = sum(exps)
    return np.array([float(sp.N(e / total, 40)) for e in exps])


@pytest.mark.parametrize(
    "scores",
    [
        [1000.0, 999.0, 998.0],
        [-1000.0, 0.0, 1000.0],
        [-1000.0, -1001.0, -1002.0],
        [2.0, 1.0, 0.5],
    ],
)
def test_saved_softmax_matches_sympy_on_large_scores_without_overflow(scores):
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise"),
    ):
        warnings.simplefilter("error")
        p = softmax(np.array(scores))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, exact_softmax(scores), rtol=1e-13, atol=1e-300)


def test_saved_softmax_normalises_each_row_of_a_batch_along_the_last_axis():
    Z = np.array([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [2.0, 1.0, 0.5]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        P = softmax(Z, axis=-1)
        P_columns = softmax(Z.T, axis=0)
    assert P.shape == Z.shape
    for row, scores in zip(P, Z, strict=True):
        np.testing.assert_allclose(row, exact_softmax(scores), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(P_columns, P.T)


def test_saved_leaky_relu_and_gelu_give_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu(z, alpha=0.2), [-0.4, 0.0, 3.0])
    t = sp.Symbol("t")
    gelu_exact = t * (1 + sp.erf(t / sp.sqrt(2))) / 2
    expected = [float(sp.N(gelu_exact.subs(t, sp.Integer(v)), 30)) for v in (-2, 0, 3)]
    np.testing.assert_allclose(gelu(z), expected, rtol=1e-14)


def naive_softmax(z):
    exps = np.exp(z)
    return exps / np.sum(exps, axis=-1, keepdims=True)


def test_softmax_that_forgets_to_subtract_the_max_fails_with_a_hint():
    with np.errstate(all="ignore"):
        report = evaluate("3.1", {"softmax": naive_softmax}).report()
    assert "NOT YET - 0/3" in report
    assert "softmax(z=[1000, 999, 998])" in report
    assert "obtained [nan, nan, nan]" in report
    assert "subtract the largest score" in report


def test_softmax_along_the_wrong_axis_is_diagnosed():
    def softmax(z):
        exps = np.exp(z - np.max(z, axis=0, keepdims=True))
        return exps / np.sum(exps, axis=0, keepdims=True)

    report = evaluate("3.1", {"softmax": softmax}).report()
    assert "2 of 7 cases gave a wrong result" in report
    assert "normalises down the columns (axis 0)" in report


def test_softmax_shifted_by_the_batch_max_is_diagnosed():
    def softmax(z):
        exps = np.exp(z - np.max(z))
        return exps / np.sum(exps, axis=-1, keepdims=True)

    with np.errstate(all="ignore"):
        report = evaluate("3.1", {"softmax": softmax}).report()
    assert "Subtract each row's own max" in report


def test_sigmoid_derivative_applied_to_z_fails_with_a_hint():
    def activation_derivative(z, name):
        return z * (1 - z) if name == "sigmoid" else 1 - z**2

    report = evaluate("3.2", {"activation_derivative": activation_derivative}).report()
    assert "activation_derivative(z=0, name='sigmoid')" in report
    assert "expected 0.25" in report and "obtained 0" in report
    assert "apply the formula to the activation's output" in report


def test_swapped_derivative_formulas_are_diagnosed():
    def activation_derivative(z, name):
        s = 1 / (1 + np.exp(-z))
        return 1 - np.tanh(z) ** 2 if name == "sigmoid" else s * (1 - s)

    report = evaluate("3.2", {"activation_derivative": activation_derivative}).report()
    assert "formulas seem swapped" in report


def test_leaky_relu_with_the_plain_relu_slope_fails_with_a_hint():
    def leaky_relu_and_slope(z, alpha):
        return np.where(z > 0, z, alpha * z), np.where(z > 0, 1.0, 0.0)

    report = evaluate("3.3", {"leaky_relu_and_slope": leaky_relu_and_slope}).report()
    assert "NOT YET" in report
    assert "for z < 0 the slope is alpha, not 0" in report


def test_leaky_relu_with_slope_one_at_zero_is_told_the_convention():
    def leaky_relu_and_slope(z, alpha):
        return np.where(z > 0, z, alpha * z), np.where(z >= 0, 1.0, alpha)

    report = evaluate("3.3", {"leaky_relu_and_slope": leaky_relu_and_slope}).report()
    assert "at z = 0 use the slope alpha" in report


def test_temperature_multiplied_instead_of_divided_is_diagnosed():
    def softmax_temperature(z, T):
        return softmax(z * T)

    report = evaluate("3.4", {"softmax_temperature": softmax_temperature}).report()
    assert "softmax_temperature(z=[2, 1, 0.5], T=0.5)" in report
    assert "divide the scores by T" in report


def test_temperature_without_the_shift_overflows_and_is_diagnosed():
    def softmax_temperature(z, T):
        return naive_softmax(z / T)

    with np.errstate(all="ignore"):
        report = evaluate("3.4", {"softmax_temperature": softmax_temperature}).report()
    assert "1 of 6 cases gave a wrong result" in report
    assert "exp(z / T) overflowed" in report


def test_jacobian_with_the_sign_flipped_is_diagnosed():
    def softmax_jacobian(z):
        p = softmax(z)
        return np.outer(p, p) - np.diag(p)

    report = evaluate("3.5", {"softmax_jacobian": softmax_jacobian}).report()
    assert "NOT YET - 0/3" in report
    assert "the sign is flipped" in report


def test_jacobian_with_a_dot_product_instead_of_an_outer_product_is_diagnosed():
    def softmax_jacobian(z):
        p = softmax(z)
        return np.diag(p) - p @ p

    report = evaluate("3.5", {"softmax_jacobian": softmax_jacobian}).report()
    assert "the outer product np.outer(p, p)" in report

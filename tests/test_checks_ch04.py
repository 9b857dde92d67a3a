"""Chapter 4: wrong answers get useful hints, and the saved losses are exact."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import evaluate
from nnbook.nn import cross_entropy, cross_entropy_grad, log_softmax, mse, mse_grad


def test_mse_without_the_half_fails_with_a_hint():
    def mse_and_grad(y_hat, y):
        return np.mean((y_hat - y) ** 2), 2 * (y_hat - y) / len(y)

    report = evaluate("4.1", {"mse_and_grad": mse_and_grad}).report()
    assert "NOT YET - 0/3" in report
    assert "the 1/2 seems to be missing" in report


def test_mse_gradient_that_forgets_the_mean_is_diagnosed():
    def mse_and_grad(y_hat, y):
        return 0.5 * np.mean((y_hat - y) ** 2), y_hat - y

    report = evaluate("4.1", {"mse_and_grad": mse_and_grad}).report()
    assert "m times too large" in report


def test_mae_without_absolute_value_is_diagnosed():
    report = evaluate("4.2", {"mae": lambda y_hat, y: np.mean(y_hat - y)}).report()
    assert "absolute value seems to be missing" in report


def test_unclipped_binary_cross_entropy_shows_inf_and_asks_for_clipping():
    def binary_cross_entropy(y_hat, y):
        return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))

    with np.errstate(divide="ignore", invalid="ignore"):
        verdict = evaluate("4.3", {"binary_cross_entropy": binary_cross_entropy})
    report = verdict.report()
    assert verdict.status == "failed"
    assert "obtained inf" in report
    assert "np.clip(y_hat, 1e-12, 1 - 1e-12)" in report


def test_binary_cross_entropy_clipped_after_the_log_still_passes():
    # clipping 1 - y_hat instead of y_hat differs only in the sixth digit at the cap
    def binary_cross_entropy(y_hat, y):
        with np.errstate(divide="ignore"):
            log_p = np.log(np.clip(y_hat, 1e-12, None))
            log_q = np.log(np.clip(1 - y_hat, 1e-12, None))
        return -np.mean(y * log_p + (1 - y) * log_q)

    assert evaluate("4.3", {"binary_cross_entropy": binary_cross_entropy}).passed


def test_categorical_cross_entropy_with_one_based_labels_is_diagnosed():
    def categorical_cross_entropy(P, y):
        return -np.mean(np.log(P[np.arange(len(y)), y - 1]))

    report = evaluate("4.4", {"categorical_cross_entropy": categorical_cross_entropy})
    assert "counted from 1" in report.report()
    # the worked example: class 2 is the third entry, so the loss is ln 2, not ln 5
    assert "expected 0.693147" in report.report()
    assert "obtained 1.60944" in report.report()


def test_categorical_cross_entropy_without_the_minus_sign_is_diagnosed():
    def categorical_cross_entropy(P, y):
        return np.mean(np.log(P[np.arange(len(y)), y]))

    report = evaluate("4.4", {"categorical_cross_entropy": categorical_cross_entropy})
    assert "wrong sign" in report.report()


def test_categorical_cross_entropy_averaged_over_classes_is_diagnosed():
    def categorical_cross_entropy(P, y):
        Y = np.eye(P.shape[1])[y]
        return -np.mean(Y * np.log(P))

    report = evaluate("4.4", {"categorical_cross_entropy": categorical_cross_entropy})
    assert "averages over the classes" in report.report()


def test_gradient_with_naive_softmax_overflows_and_is_diagnosed():
    def cross_entropy_grad(Z, y):
        probs = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        return (probs - np.eye(Z.shape[1])[y]) / len(y)

    with np.errstate(over="ignore", invalid="ignore"):
        report = evaluate("4.5", {"cross_entropy_grad": cross_entropy_grad}).report()
    assert "Subtract each row's maximum score" in report


def test_gradient_with_the_wrong_sign_is_diagnosed():
    def cross_entropy_grad(Z, y):
        shifted = Z - Z.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        return (np.eye(Z.shape[1])[y] - probs) / len(y)

    report = evaluate("4.5", {"cross_entropy_grad": cross_entropy_grad}).report()
    assert "wrong sign" in report


def test_saved_cross_entropy_gives_ln2_for_the_worked_example():
    Z = np.log(np.array([[0.1, 0.2, 0.5, 0.1, 0.1]]))
    np.testing.assert_allclose(cross_entropy(Z, np.array([2])), np.log(2), rtol=1e-12)


def test_saved_cross_entropy_stays_finite_for_huge_scores():
    Z = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(cross_entropy(Z, np.array([1])), 1000.0)
    assert np.all(np.isfinite(log_softmax(Z)))


def test_saved_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(3, 4)), np.array([0, 3, 1])
    h = 1e-6
    numeric = np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        step = np.zeros_like(Z)
        step[idx] = h
        difference = cross_entropy(Z + step, y) - cross_entropy(Z - step, y)
        numeric[idx] = difference / (2 * h)
    np.testing.assert_allclose(cross_entropy_grad(Z, y), numeric, rtol=1e-6, atol=1e-9)

    y_hat, target = rng.normal(size=5), rng.normal(size=5)
    numeric = [
        (mse(y_hat + h * e, target) - mse(y_hat - h * e, target)) / (2 * h)
        for e in np.eye(5)
    ]
    np.testing.assert_allclose(mse_grad(y_hat, target), numeric, rtol=1e-6, atol=1e-9)

"""Chapter 4: plausible wrong answers are rejected with a useful hint, right ones
written differently pass, and the losses saved into nnbook.nn are exact."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import evaluate
from nnbook.nn import cross_entropy, cross_entropy_grad, log_softmax, mse, mse_grad


def report_of(number, name, answer):
    with np.errstate(all="ignore"):
        verdict = evaluate(number, {name: answer})
    assert not verdict.passed, verdict.report()
    return verdict.report()


# 4.1 Huber's loss ----------------------------------------------------------


def huber_with(linear, grad=None, half=True, mean=True):
    def huber_and_grad(y_hat, y, delta):
        r = y_hat - y
        quadratic = r**2 / 2 if half else r**2
        losses = np.where(np.abs(r) <= delta, quadratic, linear(np.abs(r), delta))
        g = np.clip(r, -delta, delta) / len(y) if grad is None else grad(r, delta)
        return (np.mean(losses) if mean else np.sum(losses)), g

    return huber_and_grad


def right_linear(a, delta):
    return delta * a - delta**2 / 2


def test_huber_written_with_where_and_sign_passes():
    def huber_and_grad(y_hat, y, delta):
        r = y_hat - y
        small = np.abs(r) <= delta
        loss = np.where(small, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
        grad = np.where(small, r, delta * np.sign(r)) / len(r)
        return loss.mean(), grad

    assert evaluate("4.1", {"huber_and_grad": huber_and_grad}).passed


def test_huber_with_a_jump_at_delta_is_rejected():
    answer = huber_with(lambda a, delta: delta * a)
    assert "Subtract delta**2 / 2" in report_of("4.1", "huber_and_grad", answer)


def test_huber_whose_linear_piece_has_slope_one_only_works_for_delta_one():
    answer = huber_with(lambda a, delta: a - delta / 2)
    report = report_of("4.1", "huber_and_grad", answer)
    assert "only works for delta = 1" in report


def test_huber_without_the_half_in_the_quadratic_piece_is_rejected():
    answer = huber_with(right_linear, half=False)
    assert "not r**2" in report_of("4.1", "huber_and_grad", answer)


def test_huber_summed_instead_of_averaged_is_rejected():
    answer = huber_with(right_linear, mean=False)
    assert "sum over the examples" in report_of("4.1", "huber_and_grad", answer)


def test_huber_gradient_without_the_mean_is_rejected():
    answer = huber_with(right_linear, grad=lambda r, delta: np.clip(r, -delta, delta))
    assert "m times too large" in report_of("4.1", "huber_and_grad", answer)


def test_huber_gradient_left_unclipped_is_rejected():
    answer = huber_with(right_linear, grad=lambda r, delta: r / len(r))
    assert "clip the residual" in report_of("4.1", "huber_and_grad", answer)


# 4.2 Binary cross-entropy from the score -----------------------------------


def test_bce_from_scores_written_with_max_and_log1p_passes():
    def bce_from_scores(z, y):
        return np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z)

    assert evaluate("4.2", {"bce_from_scores": bce_from_scores}).passed


def test_bce_from_clipped_probabilities_is_capped_and_rejected():
    def bce_from_scores(z, y):
        p = np.clip(1 / (1 + np.exp(-z)), 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    report = report_of("4.2", "bce_from_scores", bce_from_scores)
    assert "expected 40" in report and "27.631" in report
    assert "stops at -ln(1e-12)" in report


def test_bce_from_scores_that_overflows_is_rejected():
    def bce_from_scores(z, y):
        return np.mean(np.log1p(np.exp(z)) - y * z)

    report = report_of("4.2", "bce_from_scores", bce_from_scores)
    assert "obtained inf" in report and "overflows for large z" in report


def test_bce_through_the_sigmoid_is_rejected():
    def bce_from_scores(z, y):
        p = 1 / (1 + np.exp(-z))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    assert "Simplify" in report_of("4.2", "bce_from_scores", bce_from_scores)


def test_bce_with_the_sign_of_yz_flipped_is_rejected():
    def bce_from_scores(z, y):
        return np.mean(np.logaddexp(0, z) + y * z)

    report = report_of("4.2", "bce_from_scores", bce_from_scores)
    assert "sign of the y z term" in report


def test_bce_summed_is_rejected():
    def bce_from_scores(z, y):
        return np.sum(np.logaddexp(0, z) - y * z)

    report = report_of("4.2", "bce_from_scores", bce_from_scores)
    assert "sum over the examples" in report


# 4.3 Categorical cross-entropy ---------------------------------------------


def test_categorical_cross_entropy_with_one_based_labels_is_diagnosed():
    def categorical_cross_entropy(P, y):
        return -np.mean(np.log(P[np.arange(len(y)), y - 1]))

    report = report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)
    assert "counted from 1" in report
    # the worked example: class 2 is the third entry, so the loss is ln 2, not ln 5
    assert "expected 0.693147" in report and "obtained 1.60944" in report


def test_categorical_cross_entropy_without_the_minus_sign_is_diagnosed():
    def categorical_cross_entropy(P, y):
        return np.mean(np.log(P[np.arange(len(y)), y]))

    report = report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)
    assert "wrong sign" in report


def test_categorical_cross_entropy_averaged_over_classes_is_diagnosed():
    def categorical_cross_entropy(P, y):
        Y = np.eye(P.shape[1])[y]
        return -np.mean(Y * np.log(P))

    report = report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)
    assert "averages over the classes" in report


def test_categorical_cross_entropy_indexed_with_p_colon_y_is_diagnosed():
    def categorical_cross_entropy(P, y):
        return -np.mean(np.log(P[:, y]))  # an (m, m) matrix, not m numbers

    report = report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)
    assert "P[:, y] is an (m, m) matrix" in report


def test_categorical_cross_entropy_returning_one_loss_per_example_is_rejected():
    def categorical_cross_entropy(P, y):
        return -np.log(P[np.arange(len(y)), y])

    report = report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)
    assert "expected a single number, got an array of shape (1,)" in report
    assert "one loss per example" in report


def test_categorical_cross_entropy_indexed_along_the_wrong_axis_is_rejected():
    # P[y, arange(m)] picks the right entries only when y = arange(m)
    def categorical_cross_entropy(P, y):
        return -np.mean(np.log(P.T[np.arange(len(y)), y]))

    report_of("4.3", "categorical_cross_entropy", categorical_cross_entropy)


# 4.4 Label smoothing --------------------------------------------------------


def smoothing_answer(true_share, other_share, log=np.log, zero_safe=True):
    def label_smoothing_optimum(K, eps):
        true, other = true_share(K, eps), other_share(K, eps)

        def xlogx(p):
            if zero_safe and p == 0:
                return 0.0
            return p * log(p)

        with np.errstate(divide="ignore"):
            return -(xlogx(true) + (K - 1) * xlogx(other)), log(true) - log(other)

    return label_smoothing_optimum


def test_label_smoothing_derived_right_passes():
    answer = smoothing_answer(lambda K, e: 1 - e + e / K, lambda K, e: e / K)
    assert evaluate("4.4", {"label_smoothing_optimum": answer}).passed


def test_label_smoothing_with_eps_over_k_minus_one_is_rejected():
    answer = smoothing_answer(lambda K, e: 1 - e, lambda K, e: e / (K - 1))
    report = report_of("4.4", "label_smoothing_optimum", answer)
    assert "over *all* K classes" in report


def test_label_smoothing_with_nan_from_zero_log_zero_is_rejected():
    answer = smoothing_answer(
        lambda K, e: 1 - e + e / K, lambda K, e: e / K, zero_safe=False
    )
    assert "0 * ln 0" in report_of("4.4", "label_smoothing_optimum", answer)


def test_label_smoothing_claiming_loss_zero_is_rejected():
    def label_smoothing_optimum(K, eps):
        return 0.0, np.log((1 - eps + eps / K) / (eps / K)) if eps else np.inf

    report = report_of("4.4", "label_smoothing_optimum", label_smoothing_optimum)
    assert "equals the entropy H(y)" in report


def test_label_smoothing_in_bits_is_rejected():
    answer = smoothing_answer(
        lambda K, e: 1 - e + e / K, lambda K, e: e / K, log=np.log2
    )
    assert "log base 2" in report_of("4.4", "label_smoothing_optimum", answer)


# 4.5 The noise scale by maximum likelihood ---------------------------------


def gaussian_answer(variance_of):
    def gaussian_fit(y_hat, y):
        r = y_hat - y
        s2 = variance_of(r)
        return np.sqrt(s2), 0.5 * np.log(2 * np.pi * s2) + np.mean(r**2) / (2 * s2)

    return gaussian_fit


def test_gaussian_fit_derived_right_passes():
    answer = gaussian_answer(lambda r: np.mean(r**2))
    assert evaluate("4.5", {"gaussian_fit": answer}).passed


def test_gaussian_fit_from_half_the_mse_is_rejected():
    answer = gaussian_answer(lambda r: 0.5 * np.mean(r**2))
    assert "not half of it" in report_of("4.5", "gaussian_fit", answer)


def test_gaussian_fit_with_np_std_is_rejected():
    answer = gaussian_answer(lambda r: np.std(r) ** 2)
    assert "np.std subtracts the mean" in report_of("4.5", "gaussian_fit", answer)


def test_gaussian_fit_with_the_total_negative_log_likelihood_is_diagnosed():
    def gaussian_fit(y_hat, y):
        s2 = np.mean((y_hat - y) ** 2)
        return np.sqrt(s2), len(y) * (0.5 * np.log(2 * np.pi * s2) + 0.5)

    report = report_of("4.5", "gaussian_fit", gaussian_fit)
    assert "total negative log-likelihood" in report


def test_gaussian_fit_without_the_squared_error_term_is_diagnosed():
    def gaussian_fit(y_hat, y):
        s2 = np.mean((y_hat - y) ** 2)
        return np.sqrt(s2), 0.5 * np.log(2 * np.pi * s2)  # forgot + 1/2

    report = report_of("4.5", "gaussian_fit", gaussian_fit)
    assert "is not 0 but exactly 1/2" in report


def test_gaussian_fit_returning_the_variance_is_rejected():
    def gaussian_fit(y_hat, y):
        s2 = np.mean((y_hat - y) ** 2)
        return s2, 0.5 * np.log(2 * np.pi * s2) + 0.5

    report = report_of("4.5", "gaussian_fit", gaussian_fit)
    assert "return the standard deviation" in report


@pytest.mark.parametrize("number", ["4.1", "4.2", "4.4", "4.5"])
def test_an_answer_that_returns_nothing_is_rejected(number):
    from nnbook.exercises import get

    report_of(number, get(number).answer, lambda *args: None)


# The code saved into nnbook.nn ------------------------------------------------


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

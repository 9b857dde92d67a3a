"""Chapter 8's checks: right answers pass, plausible wrong answers fail with help."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from conftest import SOLUTIONS

from nnbook.exercises import evaluate
from nnbook.exercises.ch08 import lr_curves, run_rule, validation_curves


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's code cells, run as a learner would (checks left out)."""
    notebook = nbformat.read(SOLUTIONS / "08_training.ipynb", as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "check(" not in cell.source:
            exec(compile(cell.source, cell.id, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("number", ["8.1", "8.2", "8.3", "8.4", "8.5", "8.6"])
def test_the_solution_passes(solution, number):
    assert evaluate(number, solution).passed


def rejected(number, name, answer, hint=None):
    report = evaluate(number, {name: answer})
    text = report.report()
    assert not report.passed, text
    if hint is not None:
        assert hint in text, text
    return text


# 8.1 ---------------------------------------------------------------------------


def test_variance_instead_of_standard_deviation_is_rejected():
    text = rejected(
        "8.1",
        "init_std",
        lambda n, m, a: 2 / ((1 + a**2) * n),
        "the standard deviation",
    )
    assert "expected" in text and "obtained" in text


def test_xavier_where_he_is_asked_is_rejected():
    rejected("8.1", "init_std", lambda n, m, a: np.sqrt(2 / (n + m)), "Xavier")


def test_he_ignoring_the_slope_is_rejected():
    rejected("8.1", "init_std", lambda n, m, a: np.sqrt(2 / n), "He's rule for ReLU")


def test_slope_not_squared_is_rejected():
    rejected(
        "8.1", "init_std", lambda n, m, a: np.sqrt(2 / ((1 + a) * n)), "enters squared"
    )


def test_fan_out_instead_of_fan_in_is_rejected():
    rejected(
        "8.1", "init_std", lambda n, m, a: np.sqrt(2 / ((1 + a**2) * m)), "use n_in"
    )


def test_lecun_rule_is_rejected():
    rejected("8.1", "init_std", lambda n, m, a: np.sqrt(1 / n), "LeCun")


# 8.2 ---------------------------------------------------------------------------


def test_moments_without_rescaling_are_rejected():
    rejected(
        "8.2",
        "dropout_moments",
        lambda a, p: ((1 - p) * a, a**2 * p * (1 - p)),
        "without the 1 / (1 - p)",
    )


def test_standard_deviation_instead_of_variance_is_rejected():
    rejected(
        "8.2",
        "dropout_moments",
        lambda a, p: (a, np.abs(a) * np.sqrt(p / (1 - p))),
        "standard deviation",
    )


def test_keep_and_drop_probabilities_swapped_are_rejected():
    def swapped(a, p):
        with np.errstate(divide="ignore"):
            return a, a**2 * (1 - p) / p

    rejected("8.2", "dropout_moments", swapped, "probability of dropping")


def test_second_moment_instead_of_variance_is_rejected():
    rejected(
        "8.2",
        "dropout_moments",
        lambda a, p: (a, a**2 / (1 - p)),
        "without subtracting",
    )


# 8.3 ---------------------------------------------------------------------------


def dropout_variant(
    scale_train=True,
    test_scale=1.0,
    mask_backward=True,
    scale_backward=True,
    keep_low=False,
):
    def dropout_layer(A, p, u, dOut, training):
        if not training:
            return A * test_scale, dOut * test_scale
        keep = (u < p) if keep_low else (u >= p)
        scale = 1 / (1 - p) if scale_train else 1.0
        out = A * keep * scale
        grad = dOut * (keep if mask_backward else 1.0)
        grad = grad * (scale if scale_backward else 1.0)
        return out, grad

    return dropout_layer


def test_the_variant_helper_reproduces_the_right_answer():
    assert evaluate("8.3", {"dropout_layer": dropout_variant()}).passed


def test_dropout_that_does_not_rescale_is_rejected():
    rejected(
        "8.3",
        "dropout_layer",
        dropout_variant(scale_train=False),
        "not divided by 1 - p",
    )


def test_rescaling_at_test_time_is_rejected():
    rejected("8.3", "dropout_layer", dropout_variant(test_scale=0.5), "changes nothing")
    rejected(
        "8.3",
        "dropout_layer",
        dropout_variant(test_scale=2.0),
        "scales the activations twice",
    )


def test_backward_without_the_mask_is_rejected():
    rejected("8.3", "dropout_layer", dropout_variant(mask_backward=False), "same mask")


def test_backward_without_the_scale_is_rejected():
    rejected(
        "8.3",
        "dropout_layer",
        dropout_variant(scale_backward=False),
        "needs the 1 / (1 - p) factor",
    )


def test_keeping_where_u_is_below_p_is_rejected():
    rejected("8.3", "dropout_layer", dropout_variant(keep_low=True), "keep it where")


def test_strict_inequality_is_caught_by_the_boundary_case():
    def strict(A, p, u, dOut, training):
        if not training:
            return A, dOut
        mask = (u > p) / (1 - p)
        return A * mask, dOut * mask

    rejected("8.3", "dropout_layer", strict)


# 8.4 ---------------------------------------------------------------------------


def safe(std):
    return np.where(std == 0, 1.0, std)


def test_normalizing_with_test_statistics_is_rejected():
    def own(X_train, X_new):
        return (X_new - X_new.mean(axis=0)) / safe(X_new.std(axis=0))

    rejected("8.4", "standardize", own, "X_new's own statistics")


def test_statistics_of_training_and_new_data_together_are_rejected():
    def pooled(X_train, X_new):
        both = np.vstack([X_train, X_new])
        return (X_new - both.mean(axis=0)) / safe(both.std(axis=0))

    rejected("8.4", "standardize", pooled, "leaks the new data")


def test_dividing_by_the_variance_is_rejected():
    def by_variance(X_train, X_new):
        return (X_new - X_train.mean(axis=0)) / safe(X_train.var(axis=0))

    rejected("8.4", "standardize", by_variance, "divides by the variance")


def test_per_example_statistics_are_rejected():
    def per_row(X_train, X_new):
        return (X_new - X_new.mean(axis=1, keepdims=True)) / safe(
            X_new.std(axis=1, keepdims=True)
        )

    rejected("8.4", "standardize", per_row, "axis=0")


def test_dividing_by_a_zero_standard_deviation_is_rejected():
    def unguarded(X_train, X_new):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (X_new - X_train.mean(axis=0)) / X_train.std(axis=0)

    rejected("8.4", "standardize", unguarded, "divide by 1")


def test_sample_standard_deviation_is_rejected():
    def ddof1(X_train, X_new):
        return (X_new - X_train.mean(axis=0)) / safe(X_train.std(axis=0, ddof=1))

    rejected("8.4", "standardize", ddof1, "ddof=0")


# 8.5 ---------------------------------------------------------------------------


def test_right_curves_with_the_wrong_conclusion_are_rejected():
    for letter in "abd":
        rejected(
            "8.5", "lr_experiment", (lr_curves(), letter), "does not match the numbers"
        )


def test_curves_without_the_starting_loss_are_rejected_with_a_hint():
    rejected("8.5", "lr_experiment", (lr_curves()[:, 1:], "c"), "before the first step")


def test_transposed_curves_are_rejected_with_a_hint():
    rejected("8.5", "lr_experiment", (lr_curves().T, "c"), "one row per learning rate")


def test_reversed_rows_are_rejected_with_a_hint():
    rejected("8.5", "lr_experiment", (lr_curves()[::-1], "c"), "reverse order")


def test_curves_of_another_run_are_rejected():
    curves = lr_curves().copy()
    curves[3] = curves[2]  # as if the largest rate were 1 again
    rejected("8.5", "lr_experiment", (curves, "c"), "differ from the expected run")


# 8.6 ---------------------------------------------------------------------------


def test_the_rule_is_the_one_the_text_describes():
    curve = np.array([3.0, 2.0, 2.5, 1.0, 1.5, 1.6, 1.7])
    assert run_rule(curve, 2, 0.0) == (4, 6)
    assert run_rule(curve, 10, 0.0) == (4, 7)  # never stops: trains every epoch
    assert run_rule(curve, 2, 1.5) == (1, 3)  # 2.0 is not 1.5 better than 3.0


def test_a_patience_too_short_for_the_plateau_is_rejected():
    text = rejected("8.6", "early_stopping_rule", (5, 0.0), "too far from the minimum")
    assert "curve 1" in text


def test_a_patience_too_long_for_the_budget_is_rejected():
    rejected("8.6", "early_stopping_rule", (60, 0.0), "over budget")


def test_a_min_delta_too_large_stops_too_early():
    rejected("8.6", "early_stopping_rule", (20, 0.05), "too far from the minimum")


def test_the_patience_window_that_works_is_not_a_single_point():
    curves = validation_curves()
    passing = [
        patience
        for patience in range(1, 80)
        if evaluate("8.6", {"early_stopping_rule": (patience, 0.0)}).passed
    ]
    assert len(passing) >= 5 and curves.shape == (3, 200)


def test_a_malformed_rule_is_rejected():
    rejected("8.6", "early_stopping_rule", "twenty", "two numbers")
    rejected("8.6", "early_stopping_rule", (0, 0.0), "patience >= 1")


# Added in review (issue 13): plausible wrong answers found by trying them.


def test_leaky_he_with_a_linear_slope_factor_is_rejected():
    # sqrt(2 / n_in) / (1 + alpha): the slope scales the standard deviation linearly
    rejected("8.1", "init_std", lambda n, m, a: np.sqrt(2 / n) / (1 + a))


def test_xavier_form_of_the_leaky_rule_is_rejected():
    # 4 / ((1 + alpha^2)(n_in + n_out)) agrees with the answer on square layers only
    rejected("8.1", "init_std", lambda n, m, a: np.sqrt(4 / ((1 + a**2) * (n + m))))


def test_variance_divided_by_the_square_of_the_keep_probability_is_rejected():
    rejected("8.2", "dropout_moments", lambda a, p: (a, a**2 * p / (1 - p) ** 2))


def test_backward_that_ignores_the_training_flag_is_rejected():
    def always_masked(A, p, u, d, training):
        mask = (u >= p) / (1 - p)
        return A * mask, d * mask

    rejected("8.3", "dropout_layer", always_masked)


def test_test_time_gradient_set_to_zero_is_rejected():
    def zero_at_test(A, p, u, d, training):
        if not training:
            return A, np.zeros_like(d)
        mask = (u >= p) / (1 - p)
        return A * mask, d * mask

    rejected("8.3", "dropout_layer", zero_at_test)


def test_global_statistics_instead_of_per_pixel_are_rejected():
    rejected("8.4", "standardize", lambda Xt, Xn: (Xn - Xt.mean()) / Xt.std())


def test_a_tiny_epsilon_instead_of_one_for_constant_pixels_is_rejected():
    rejected(
        "8.4",
        "standardize",
        lambda Xt, Xn: (Xn - Xt.mean(axis=0)) / (Xt.std(axis=0) + 1e-8),
    )


def test_constant_pixels_forced_to_zero_are_rejected():
    # a pixel blank in every training image may be inked in a new one: keep x - mean
    def zeroed(Xt, Xn):
        std = Xt.std(axis=0)
        out = (Xn - Xt.mean(axis=0)) / np.where(std == 0, 1.0, std)
        return np.where(std == 0, 0.0, out)

    rejected("8.4", "standardize", zeroed)


def test_the_right_conclusion_is_accepted_however_it_is_written():
    for letter in ("C", "(c)", " c "):
        assert evaluate("8.5", {"lr_experiment": (lr_curves(), letter)}).passed


def test_a_fractional_patience_is_rejected_not_truncated():
    # int(20.9) would be 20, which passes; a patience counts whole epochs
    rejected("8.6", "early_stopping_rule", (20.9, 0.0), "whole number")
    rejected("8.6", "early_stopping_rule", (True, 0.0), "whole number")
    assert evaluate("8.6", {"early_stopping_rule": (np.int64(20), 0.0)}).passed
    assert evaluate("8.6", {"early_stopping_rule": (20.0, 0.0)}).passed

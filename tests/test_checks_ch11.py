"""Chapter 11's checks: right answers pass, plausible wrong answers fail with help."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from conftest import SOLUTIONS

from nnbook.exercises import evaluate, get
from nnbook.exercises.ch11 import (
    _embedding_backward,
    _rms_backward,
    reverse_weights,
)
from nnbook.nn import numerical_gradient, relative_error


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's code cells, run as a learner would (checks left out)."""
    notebook = nbformat.read(SOLUTIONS / "11_transformer.ipynb", as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "check(" not in cell.source:
            exec(compile(cell.source, cell.id, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("number", ["11.1", "11.2", "11.3", "11.4", "11.5"])
def test_the_solution_passes(solution, number):
    assert evaluate(number, solution).passed


# 11.1 --------------------------------------------------------------------------


def rms_variant(
    mean_term=True, subtract_mean=False, use_sum=False, gain_axis="rows", eps_in=True
):
    """RMS normalization's backward pass, right or with one of the usual slips."""

    def rms_norm_backward(dY, X, gain, eps):
        r = np.sqrt((X**2).mean(axis=-1, keepdims=True) + (eps if eps_in else 0.0))
        X_hat = X / r
        dX_hat = dY * gain
        reduce = np.sum if use_sum else np.mean
        dX = dX_hat.copy()
        if subtract_mean:
            dX = dX - dX_hat.mean(axis=-1, keepdims=True)
        if mean_term:
            dX = dX - X_hat * reduce(dX_hat * X_hat, axis=-1, keepdims=True)
        dX = dX / r
        if gain_axis == "rows":
            dgain = (dY * X_hat).sum(axis=tuple(range(X.ndim - 1)))
        elif gain_axis == "features":
            dgain = (dY * X_hat).sum(axis=-1)
        else:
            dgain = dY * X_hat
        return dX, dgain

    return rms_norm_backward


def test_the_rms_reference_agrees_with_finite_differences():
    for case in get("11.1").cases:
        dY, X, gain, eps = (
            np.array(a, dtype=float) if i < 3 else a for i, a in enumerate(case.args)
        )
        X, gain = X.copy(), gain.copy()

        def loss(X=X, gain=gain, dY=dY, eps=eps):  # bound now: this case's arrays
            r = np.sqrt((X**2).mean(axis=-1, keepdims=True) + eps)
            return (gain * X / r * dY).sum()

        dX, dgain = _rms_backward(dY, X, gain, eps)
        assert relative_error(dX, numerical_gradient(loss, X, h=1e-7)) < 1e-6
        assert relative_error(dgain, numerical_gradient(loss, gain)) < 1e-7


def test_the_right_rms_backward_passes():
    assert evaluate("11.1", {"rms_norm_backward": rms_variant()}).passed


def test_rms_backward_without_the_mean_term_is_rejected():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(mean_term=False)})
    assert not report.passed and "missing a term" in report.report()


def test_layer_norms_backward_is_rejected_for_rms_normalization():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(subtract_mean=True)})
    assert not report.passed and "layer norm's backward" in report.report()


def test_a_sum_where_the_mean_belongs_is_rejected():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(use_sum=True)})
    assert not report.passed and "where a mean belongs" in report.report()


def test_dgain_summed_over_the_feature_axis_is_rejected():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(gain_axis="features")})
    assert not report.passed and "summed over the feature axis" in report.report()


def test_dgain_not_summed_over_the_rows_is_rejected():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(gain_axis="none")})
    assert not report.passed and "dgain is not summed" in report.report()


def test_rms_backward_without_eps_is_rejected():
    report = evaluate("11.1", {"rms_norm_backward": rms_variant(eps_in=False)})
    assert not report.passed and "eps is missing" in report.report()


def test_rms_backward_returning_only_dx_is_rejected():
    def only_dx(dY, X, gain, eps):
        return rms_variant()(dY, X, gain, eps)[0]

    assert not evaluate("11.1", {"rms_norm_backward": only_dx}).passed


# 11.2 --------------------------------------------------------------------------


def test_the_chapter_block_has_the_predicted_number_of_parameters():
    from nnbook.nn import init_block

    for d, d_ff in [(16, 64), (8, 20)]:
        counted = sum(
            a.size for a in init_block(np.random.default_rng(0), d, d_ff).values()
        )
        assert counted == get("11.2").reference(d, d_ff, 2)


@pytest.mark.parametrize(
    "formula, hint",
    [
        (
            lambda d, f, h: h * 4 * d * d + 2 * d * f + f + 5 * d,
            "heads changes nothing",
        ),
        (lambda d, f, h: 4 * d * d + 2 * d * f + f + d, "layer norms are missing"),
        (lambda d, f, h: 4 * d * d + 2 * d * f + 4 * d, "MLP's biases are missing"),
        (lambda d, f, h: 4 * d * d + 2 * d * f + f + 9 * d, "have no biases"),
        (lambda d, f, h: 3 * d * d + 2 * d * f + f + 5 * d, "W_O (d x d) is missing"),
        (lambda d, f, h: 4 * d * d + d * f + f + 5 * d, "two weight matrices"),
    ],
    ids=[
        "times heads",
        "no layer norms",
        "no MLP biases",
        "attention biases",
        "no W_O",
        "one MLP matrix",
    ],
)
def test_plausible_wrong_counts_are_rejected_with_their_hint(formula, hint):
    report = evaluate("11.2", {"block_parameters": formula})
    assert not report.passed and hint in report.report()


# 11.3 --------------------------------------------------------------------------

RIGHT = np.array([[1.0, 1.0], [1.0, 0.0]])


def test_right_numbers_with_a_wrong_conclusion_are_rejected():
    for letter in ("a", "c", "d"):
        report = evaluate("11.3", {"position_experiment": (RIGHT, letter)})
        assert not report.passed and "does not match the numbers" in report.report()


def test_swapped_rows_are_rejected_with_a_hint():
    report = evaluate("11.3", {"position_experiment": (RIGHT[::-1], "b")})
    assert not report.passed and "rows are swapped" in report.report()


def test_percentages_are_rejected():
    report = evaluate("11.3", {"position_experiment": (100 * RIGHT, "b")})
    assert not report.passed and "fractions" in report.report()


def test_both_tasks_failing_without_positions_is_rejected():
    claimed = np.array([[1.0, 0.0], [1.0, 0.0]])  # what conclusion (a) would need
    report = evaluate("11.3", {"position_experiment": (claimed, "a")})
    assert not report.passed and "not what train_and_test gives" in report.report()


def test_made_up_accuracies_are_rejected():
    report = evaluate("11.3", {"position_experiment": (np.full((2, 2), 0.5), "b")})
    assert not report.passed


def test_an_accuracy_array_of_the_wrong_shape_is_rejected():
    report = evaluate("11.3", {"position_experiment": (RIGHT.ravel(), "b")})
    assert not report.passed and "shape (2, 2)" in report.report()


# 11.4 --------------------------------------------------------------------------


def test_the_judge_computes_softmax_attention_of_one_hot_positions():
    W_Q = np.array([[1.0], [0.0], [0.0], [0.0]])
    W_K = np.array([[2.0], [0.0], [0.0], [0.0]])
    weights = reverse_weights(W_Q, W_K)
    first = np.exp([2.0, 0, 0, 0]) / np.exp([2.0, 0, 0, 0]).sum()
    np.testing.assert_allclose(weights[0], first)
    np.testing.assert_allclose(weights[1:], 0.25)


def test_an_identity_pattern_is_rejected_as_copying():
    design = (5.0 * np.eye(4), 5.0 * np.eye(4))
    report = evaluate("11.4", {"reverse_attention": design})
    assert not report.passed and "attends to itself" in report.report()


def test_the_right_pattern_too_soft_is_rejected():
    design = (np.eye(4), np.eye(4)[::-1])  # scores 1/2 on the mirror: far too soft
    report = evaluate("11.4", {"reverse_attention": design})
    assert not report.passed and "too soft" in report.report()


def test_a_shifted_pattern_is_rejected():
    shift = np.roll(np.eye(4), 1, axis=0)
    report = evaluate("11.4", {"reverse_attention": (10 * np.eye(4), 10 * shift)})
    assert not report.passed and "reversal needs [3, 2, 1, 0]" in report.report()


def test_queries_and_keys_of_different_widths_are_rejected():
    report = evaluate("11.4", {"reverse_attention": (np.eye(4), np.ones((4, 2)))})
    assert not report.passed and "same width" in report.report()


def test_wrong_number_of_positions_is_rejected():
    report = evaluate("11.4", {"reverse_attention": (np.eye(3), np.eye(3))})
    assert not report.passed and "one row per position" in report.report()


def test_the_transposed_design_also_works():
    # query i = e_(3-i), key j = e_j: another right answer
    design = (10 * np.eye(4)[::-1], 10 * np.eye(4))
    assert evaluate("11.4", {"reverse_attention": design}).passed


# 11.5 --------------------------------------------------------------------------


def test_the_reference_equals_the_one_hot_product():
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, 7, size=(4, 5))
    dX = rng.normal(size=(4, 5, 3))
    onehots = np.eye(7)[tokens]
    np.testing.assert_allclose(
        _embedding_backward(tokens, dX, 7),
        onehots.reshape(-1, 7).T @ dX.reshape(-1, 3),
    )


def test_fancy_index_add_that_drops_repeats_is_rejected():
    def embedding_backward(tokens, dX, vocab):
        dE = np.zeros((vocab, dX.shape[-1]))
        dE[tokens.reshape(-1)] += dX.reshape(-1, dX.shape[-1])
        return dE

    report = evaluate("11.5", {"embedding_backward": embedding_backward})
    assert not report.passed and "keeps only one" in report.report()


def test_averaging_repeated_tokens_is_rejected():
    def embedding_backward(tokens, dX, vocab):
        dE = np.zeros((vocab, dX.shape[-1]))
        np.add.at(dE, tokens.reshape(-1), dX.reshape(-1, dX.shape[-1]))
        counts = np.bincount(tokens.reshape(-1), minlength=vocab)
        return dE / np.maximum(counts, 1)[:, None]

    report = evaluate("11.5", {"embedding_backward": embedding_backward})
    assert not report.passed and "averaged" in report.report()


def test_returning_one_row_per_position_is_rejected():
    def embedding_backward(tokens, dX, vocab):
        return dX.reshape(-1, dX.shape[-1])

    report = evaluate("11.5", {"embedding_backward": embedding_backward})
    assert not report.passed and "shape" in report.report()


def test_an_answer_that_uses_the_course_code_scores_nothing():
    from nnbook.nn import one_hot

    def embedding_backward(tokens, dX, vocab):
        onehots = one_hot(tokens.reshape(-1), vocab)
        return onehots.T @ dX.reshape(-1, dX.shape[-1])

    report = evaluate("11.5", {"embedding_backward": embedding_backward}, guard=True)
    assert not report.passed and "course's own implementation" in report.report()


def test_keys_for_another_number_of_positions_are_rejected():
    report = evaluate("11.4", {"reverse_attention": (np.eye(4), np.eye(5)[:, :4])})
    assert not report.passed and "one row per position" in report.report()


# More plausible slips (review) ---------------------------------------------------


def rms_slip(kind):
    """A learner's rms_norm_backward with one slip."""

    def rms_norm_backward(dY, X, gain, eps):
        r = np.sqrt((X**2).mean(axis=-1, keepdims=True) + eps)
        X_hat = X / r
        dX_hat = dY if kind == "gain left out of dX" else dY * gain
        dX = (dX_hat - X_hat * (dX_hat * X_hat).mean(axis=-1, keepdims=True)) / (
            r**2 if kind == "divided by r twice" else r
        )
        rows = tuple(range(X.ndim - 1))
        dgain = (dY * (X if kind == "dgain from X" else X_hat)).sum(axis=rows)
        if kind == "dgain summed over axis 0 only":
            dgain = (dY * X_hat).sum(axis=0)
        return dX, dgain

    return rms_norm_backward


@pytest.mark.parametrize(
    "kind",
    [
        "gain left out of dX",
        "divided by r twice",
        "dgain from X",
        "dgain summed over axis 0 only",
    ],
)
def test_more_rms_slips_are_rejected(kind):
    assert not evaluate("11.1", {"rms_norm_backward": rms_slip(kind)}).passed


def test_a_count_that_is_not_a_whole_number_is_rejected():
    def block_parameters(d, d_ff, heads):
        return 4 * d * d + 2 * d * d_ff + d_ff + 5 * d + 0.4

    assert not evaluate("11.2", {"block_parameters": block_parameters}).passed


def test_one_layer_norm_parameter_per_feature_is_rejected():
    def block_parameters(d, d_ff, heads):
        return 4 * d * d + 2 * d * d_ff + d_ff + d + 2 * d

    assert not evaluate("11.2", {"block_parameters": block_parameters}).passed

"""Chapter 2's checks: plausible wrong answers fail with feedback that helps."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import evaluate

# 2.1: the parameter count of n_in - width x depth - n_out, as a formula.


def right_formula(n_in, width, depth, n_out):
    if depth == 0:
        return (n_in + 1) * n_out
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_out


def test_the_derived_formula_passes():
    assert evaluate("2.1", {"equal_width_parameters": right_formula}).passed


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda n, h, d, k: n * h + (d - 1) * h * h + h * k if d else n * k,
            "counts only the weights",
        ),
        (
            lambda n, h, d, k: (n + 1) * h + d * (h + 1) * h + (h + 1) * k,
            "one hidden-to-hidden layer too many",
        ),
        (
            lambda n, h, d, k: right_formula(n, h, d, k) + n,
            "gives the inputs biases too",
        ),
        (
            lambda n, h, d, k: (n + 1) * h + (d - 1) * (h + 1) * h + (h + 1) * k,
            "with depth = 0 there is no hidden layer",
        ),
    ],
    ids=["weights only", "depth layers of width^2", "input biases", "depth 0"],
)
def test_a_plausible_wrong_formula_is_rejected_with_its_hint(wrong, hint):
    verdict = evaluate("2.1", {"equal_width_parameters": wrong})
    assert not verdict.passed
    report = verdict.report()
    assert hint in report
    assert "expected" in report and "obtained" in report


# 2.2: the smallest width h at which the first layer of 784-h-h-10 holds < half.


def test_the_predicted_width_passes():
    assert evaluate("2.2", {"balance_width": 774}).passed


def test_the_width_without_biases_is_rejected_with_a_hint():
    report = evaluate("2.2", {"balance_width": 775}).report()
    assert "NOT YET" in report
    assert "find the smallest width" in report
    assert "answer without biases" in report


def test_the_number_of_pixels_is_rejected():
    report = evaluate("2.2", {"balance_width": 784}).report()
    assert "NOT YET" in report and "find the smallest width" in report


def test_a_width_that_is_too_small_is_rejected():
    report = evaluate("2.2", {"balance_width": 773}).report()
    assert "not less than half yet" in report


def test_an_unrounded_width_is_rejected():
    report = evaluate("2.2", {"balance_width": 773.99}).report()
    assert "a whole number of at least 1" in report


# 2.3: shapes.


def right_shapes(m, layer_sizes):
    pairs = zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    return [((n, k), (k,), (m, k)) for n, k in pairs]


def test_right_shapes_pass():
    assert evaluate("2.3", {"layer_shapes": right_shapes}).passed


def test_shapes_in_the_column_convention_are_diagnosed():
    def layer_shapes(m, layer_sizes):
        pairs = zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        return [((k, n), (k,), (k, m)) for n, k in pairs]

    report = evaluate("2.3", {"layer_shapes": layer_shapes}).report()
    assert "NOT YET" in report
    assert "other convention (one example per column)" in report


def test_shapes_that_include_the_input_layer_name_the_expected_length():
    def layer_shapes(m, layer_sizes):
        sizes = [layer_sizes[0], *layer_sizes]
        pairs = zip(sizes[:-1], sizes[1:], strict=True)
        return [((n, k), (k,), (m, k)) for n, k in pairs]

    report = evaluate("2.3", {"layer_shapes": layer_shapes}).report()
    assert "expected a sequence of 3 items" in report


def test_a_flat_output_shape_m_instead_of_m_by_1_is_rejected():
    def layer_shapes(m, layer_sizes):
        shapes = right_shapes(m, layer_sizes)
        return [(W, b, (m,) if b == (1,) else Z) for W, b, Z in shapes]

    verdict = evaluate("2.3", {"layer_shapes": layer_shapes})
    assert not verdict.passed
    assert "still gives Z of shape (m, 1)" in verdict.report()


# 2.4: the single neuron a given linear 2-3-1 network collapses into.


@pytest.mark.parametrize(
    "collapsed",
    [((0.0, -1.0), 1.5), (np.array([[0.0], [-1.0]]), np.array([1.5]))],
    ids=["plain numbers", "arrays (2, 1) and (1,)"],
)
def test_the_predicted_single_neuron_passes(collapsed):
    assert evaluate("2.4", {"collapsed": collapsed}).passed


@pytest.mark.parametrize(
    "collapsed, hint",
    [
        ((np.array([[0.0, -1.0]]), 1.5), "that is the transpose"),
        (((0.0, -1.0), 0.5), "hidden biases b1 also reach the output"),
        (((0.0, -1.0), 3.0), "not the plain sum"),
        (((0.0, -1.0), 1.0), "own bias b2 is still there"),
        (((0.0, -1.0), np.array([1.0, 2.0, 1.5])), "one per hidden neuron"),
        (((1.0, -1.0), 1.5), "add the products of the weights"),
    ],
    ids=[
        "transposed w",
        "b2 only",
        "b1 summed",
        "b2 missing",
        "b of shape (3,)",
        "wrong w",
    ],
)
def test_a_plausible_wrong_collapse_is_rejected_with_its_hint(collapsed, hint):
    verdict = evaluate("2.4", {"collapsed": collapsed})
    assert not verdict.passed
    assert hint in verdict.report()


# 2.5: a 2-2-1 step network for XOR that is not the chapter's.

CHAPTER = (
    np.array([[10.0, -10.0], [10.0, -10.0]]),
    np.array([-5.0, 15.0]),
    np.array([[10.0], [10.0]]),
    np.array([-15.0]),
)


def test_a_different_xor_network_passes_and_names_its_hidden_functions():
    # hidden: x1 AND NOT x2, x2 AND NOT x1; output: OR
    other = ([[1, -1], [-1, 1]], [-0.5, -0.5], [1, 1], -0.5)  # plain lists, W2 (2,)
    verdict = evaluate("2.5", {"xor_network": other})
    assert verdict.passed
    assert "x1 AND NOT x2 and x2 AND NOT x1" in verdict.report()


@pytest.mark.parametrize(
    "network",
    [
        CHAPTER,
        tuple(3.0 * np.asarray(part) for part in CHAPTER),
        (CHAPTER[0][:, ::-1], CHAPTER[1][::-1], CHAPTER[2][::-1], CHAPTER[3]),
    ],
    ids=["the chapter's", "rescaled", "hidden neurons swapped"],
)
def test_the_chapters_own_xor_network_is_rejected(network):
    report = evaluate("2.5", {"xor_network": network}).report()
    assert "NOT YET" in report
    assert "it is the chapter's network" in report


def test_an_or_network_fails_and_lists_the_outputs():
    or_network = (np.eye(2), np.array([-0.5, -0.5]), np.array([[1.0], [1.0]]), -0.5)
    report = evaluate("2.5", {"xor_network": or_network}).report()
    assert "gets 3 of the 4 XOR points right" in report
    assert "x=(1, 1): hidden (1, 1), output 1, XOR 0  <- wrong" in report


def test_an_xor_network_of_the_wrong_shape_is_explained():
    report = evaluate("2.5", {"xor_network": (np.eye(2), [0.0, 0.0], [1.0])}).report()
    assert "should be four things: (W1, b1, W2, b2)" in report
    transposed = (np.eye(2), [0.0, 0.0], np.ones((1, 2)), 0.0)
    report = evaluate("2.5", {"xor_network": transposed}).report()
    assert "W2 should have shape (2, 1) or (2,), got (1, 2)" in report


# Added in review: further plausible wrong answers, each rejected.


def test_a_count_that_gives_the_output_layer_width_biases_is_rejected():
    def wrong(n, h, d, k):
        if d == 0:
            return (n + 1) * k
        return (n + 1) * h + (d - 1) * (h + 1) * h + h * k + h

    assert not evaluate("2.1", {"equal_width_parameters": wrong}).passed


def test_biases_of_shape_1_by_n_are_rejected():
    def shapes(m, sizes):
        return [
            ((a, b), (1, b), (m, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ]

    assert not evaluate("2.3", {"layer_shapes": shapes}).passed


def test_an_xor_network_whose_output_is_and_instead_of_or_is_rejected():
    # hidden: x1 AND NOT x2, x2 AND NOT x1; the output must be their OR, not AND
    network = (
        np.array([[1.0, -1.0], [-1.0, 1.0]]),
        np.array([-0.5, -0.5]),
        np.array([[1.0], [1.0]]),
        -1.5,
    )
    assert not evaluate("2.5", {"xor_network": network}).passed

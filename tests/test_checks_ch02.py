"""Chapter 2's checks: plausible wrong answers fail with feedback that helps."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import evaluate


def relu(z):
    return np.maximum(z, 0.0)


def test_forward_without_the_output_relu_fails_with_a_hint():
    def two_layer_forward(X, W1, b1, W2, b2):
        return relu(X @ W1 + b1) @ W2 + b2

    report = evaluate("2.1", {"two_layer_forward": two_layer_forward}).report()
    assert "NOT YET - 0/3" in report
    assert "output layer's ReLU seems to be missing" in report


def test_forward_with_transposed_first_weights_is_diagnosed_and_shows_the_input():
    def two_layer_forward(X, W1, b1, W2, b2):
        return relu(relu(X @ W1.T + b1) @ W2 + b2)

    report = evaluate("2.1", {"two_layer_forward": two_layer_forward}).report()
    assert "two_layer_forward(X=[[1, 0.5]], W1=[[0.6, 0.4], [0.2, 0.8]]" in report
    assert "expected [[1.09]]" in report and "obtained [[1]]" in report
    assert "W has shape (inputs, outputs)" in report


def test_forward_that_loops_over_the_batch_passes():
    def two_layer_forward(X, W1, b1, W2, b2):
        return np.array([relu(relu(x @ W1 + b1) @ W2 + b2) for x in X])

    assert evaluate("2.1", {"two_layer_forward": two_layer_forward}).passed


def test_counting_only_the_weights_fails_with_a_hint_about_biases():
    def count_parameters(layer_sizes):
        pairs = zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        return sum(a * b for a, b in pairs)

    report = evaluate("2.2", {"count_parameters": count_parameters}).report()
    assert "count_parameters(layer_sizes=[784, 128, 64, 10])" in report
    assert "expected 109386" in report and "obtained 109184" in report
    assert "counts only the weights" in report


def test_giving_every_input_a_bias_is_diagnosed():
    def count_parameters(layer_sizes):
        pairs = zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        return sum(a * b + a for a, b in pairs)

    report = evaluate("2.2", {"count_parameters": count_parameters}).report()
    assert "biases belong to the neurons" in report


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


def test_collapse_that_adds_the_biases_fails_with_a_hint():
    def collapse(W1, b1, W2, b2):
        return W1 @ W2, b1 + b2

    report = evaluate("2.4", {"collapse": collapse}).report()
    assert "NOT YET - 0/3" in report
    assert "b = b1 @ W2 + b2, not b1 + b2" in report


def test_collapse_with_the_weights_in_the_wrong_order_is_diagnosed():
    def collapse(W1, b1, W2, b2):
        return W2 @ W1, b1 @ W2 + b2

    report = evaluate("2.4", {"collapse": collapse}).report()
    assert "multiplied in the wrong order" in report


def test_the_chapters_xor_network_and_another_one_both_pass():
    chapter = (
        np.array([[10.0, -10.0], [10.0, -10.0]]),
        np.array([-5.0, 15.0]),
        np.array([[10.0], [10.0]]),
        np.array([-15.0]),
    )
    flat = ([[1, -1], [-1, 1]], [-0.5, -0.5], [1, 1], -0.5)  # plain lists, W2 as (2,)
    for network in (chapter, flat):
        assert evaluate("2.5", {"xor_network": network}).passed


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

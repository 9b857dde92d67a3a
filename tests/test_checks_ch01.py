"""Chapter 1's checks: plausible wrong answers fail with feedback that helps."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import evaluate


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_neuron_that_forgets_the_bias_fails_with_a_hint():
    def neuron(x, w, b, activation):
        z = x @ w
        return {
            "relu": max(z, 0.0),
            "sigmoid": sigmoid(z),
            "identity": z,
            "step": float(z >= 0),
        }[activation]

    report = evaluate("1.1", {"neuron": neuron}).report()
    assert "NOT YET - 0/3" in report
    assert "expected 0.68" in report and "obtained 0.58" in report
    assert "bias b seems to be missing" in report


def test_neuron_with_the_wrong_activation_fails_and_shows_input_and_values():
    def neuron(x, w, b, activation):
        return float(sigmoid(x @ w + b))  # ignores the requested activation

    verdict = evaluate("1.1", {"neuron": neuron})
    assert verdict.status == "failed" and verdict.points == 0
    report = verdict.report()
    assert (
        "neuron(x=[0.5, 0.3, 0.8], w=[0.6, 0.4, 0.2], b=0.1, activation='relu')"
        in report
    )
    assert "expected 0.68" in report and "obtained 0.663739" in report


def test_layer_with_transposed_weights_is_diagnosed():
    verdict = evaluate("1.2", {"layer_weighted_sums": lambda X, W, b: X @ W.T + b})
    assert verdict.status == "failed"
    assert "W has shape (inputs, outputs)" in verdict.report()


def test_layer_returning_the_wrong_shape_names_the_expected_shape():
    verdict = evaluate(
        "1.2", {"layer_weighted_sums": lambda X, W, b: (X @ W + b).ravel()}
    )
    assert (
        "expected an array of shape (3, 2), got an array of shape (6,)"
        in verdict.report()
    )


def test_or_weights_that_compute_and_fail_with_the_outputs_listed():
    report = evaluate("1.3", {"or_weights": (8.0, 8.0, -10.0)}).report()
    assert "does not yet compute OR" in report
    assert "x=(0, 1): target 1, output 0.1192  <- should be >= 0.9" in report


def test_gate_answer_that_is_not_three_numbers_is_explained():
    report = evaluate("1.4", {"nand_weights": "big weights"}).report()
    assert "should be three numbers (w1, w2, b)" in report


def test_xor_counting_right_answers_instead_of_mistakes_gets_a_hint():
    def xor_errors(w1, w2, b):
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        return int(np.sum((X @ [w1, w2] + b >= 0) == np.array([0, 1, 1, 0])))

    report = evaluate("1.5", {"xor_errors": xor_errors}).report()
    assert "counts the points the neuron gets right" in report


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def neuron(x, w, b, activation):
        return x @ w[:1] + b

    report = evaluate("1.1", {"neuron": neuron}).report()
    assert "raised ValueError" in report
    assert "Traceback" not in report

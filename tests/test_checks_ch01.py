"""Chapter 1's checks: plausible wrong answers fail with feedback that helps."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import evaluate


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron_with(step):
    def neuron(x, w, b, activation):
        z = x @ w + b
        return {
            "relu": max(z, 0.0),
            "sigmoid": sigmoid(z),
            "identity": z,
            "step": step(z),
        }[activation]

    return neuron


def test_a_right_neuron_passes():
    assert evaluate("1.1", {"neuron": neuron_with(lambda z: float(z >= 0))}).passed


def test_neuron_that_forgets_the_bias_fails_with_a_hint():
    def neuron(x, w, b, activation):
        return neuron_with(lambda z: float(z >= 0))(x, w, 0.0, activation)

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


def test_a_step_written_as_z_greater_than_zero_is_rejected_with_a_hint():
    verdict = evaluate("1.1", {"neuron": neuron_with(lambda z: float(z > 0))})
    assert not verdict.passed
    report = verdict.report()
    assert "2 of 10 cases gave a wrong result" in report
    assert "expected 1" in report and "obtained 0" in report
    assert "use z >= 0, not z > 0" in report


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def neuron(x, w, b, activation):
        return x @ w[:1] + b

    report = evaluate("1.1", {"neuron": neuron}).report()
    assert "raised ValueError" in report
    assert "Traceback" not in report


# 1.2: the steepest slope of a sigmoid neuron is |w| / 4, whatever b is.


def test_the_derived_steepest_slope_passes():
    answer = {"steepest_slope": lambda w, b: np.sqrt(np.sum(w**2)) / 4}
    assert evaluate("1.2", answer).passed


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda w, b: np.linalg.norm(w), "at most 1/4"),
        (lambda w, b: np.linalg.norm(w) / 2, "1/4, not 1/2"),
        (lambda w, b: np.sum(np.abs(w)) / 4, "square root of the sum of the squares"),
        (lambda w, b: np.max(np.abs(w)) / 4, "along one input axis"),
        (
            lambda w, b: sigmoid(b) * (1 - sigmoid(b)) * np.linalg.norm(w),
            "slope at the input x = 0",
        ),
    ],
    ids=["no sigmoid slope", "slope 1/2", "L1 norm", "largest weight", "slope at x=0"],
)
def test_a_plausible_wrong_steepest_slope_is_rejected_with_its_hint(wrong, hint):
    verdict = evaluate("1.2", {"steepest_slope": wrong})
    assert not verdict.passed
    assert hint in verdict.report()


# 1.3: OR gate.


def test_or_weights_that_compute_and_fail_with_the_outputs_listed():
    report = evaluate("1.3", {"or_weights": (8.0, 8.0, -10.0)}).report()
    assert "does not yet compute OR" in report
    assert "x=(0, 1): target 1, output 0.1192  <- should be >= 0.9" in report


def test_gate_answer_that_is_not_three_numbers_is_explained():
    report = evaluate("1.3", {"or_weights": "big weights"}).report()
    assert "should be three numbers (w1, w2, b)" in report


# 1.4: one neuron with the bump activation exp(-z^2) computes XOR.


@pytest.mark.parametrize("weights", [(2.0, 2.0, -2.0), (-3.0, -3.0, 3.0), (4, 4, -4)])
def test_a_bump_neuron_that_computes_xor_passes(weights):
    assert evaluate("1.4", {"bump_weights": weights}).passed


def test_the_chapters_unscaled_counterexample_is_rejected_with_a_scaling_hint():
    # w = (1, 1), b = -1 gives exp(-1) = 0.37 at (0, 0) and (1, 1): not <= 0.1
    report = evaluate("1.4", {"bump_weights": (1.0, 1.0, -1.0)}).report()
    assert "NOT YET" in report
    assert "output 0.3679  <- should be <= 0.1" in report
    assert "scale the weights and the bias together" in report


def test_or_gate_weights_for_a_bump_neuron_are_rejected_with_a_hint():
    report = evaluate("1.4", {"bump_weights": (10.0, 10.0, -5.0)}).report()
    assert "NOT YET" in report
    assert "Put z = 0 at the two XOR-1 inputs" in report


# 1.5: counting mistakes on XOR.


def xor_errors_with(fires):
    def xor_errors(w1, w2, b):
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        return int(np.sum(fires(X @ [w1, w2] + b) != np.array([0, 1, 1, 0])))

    return xor_errors


def test_right_xor_counting_passes():
    assert evaluate("1.5", {"xor_errors": xor_errors_with(lambda z: z >= 0)}).passed


def test_xor_counting_right_answers_instead_of_mistakes_gets_a_hint():
    def xor_errors(w1, w2, b):
        return 4 - xor_errors_with(lambda z: z >= 0)(w1, w2, b)

    report = evaluate("1.5", {"xor_errors": xor_errors}).report()
    assert "counts the points the neuron gets right" in report


def test_xor_counting_with_a_step_that_is_silent_at_zero_is_rejected():
    verdict = evaluate("1.5", {"xor_errors": xor_errors_with(lambda z: z > 0)})
    assert not verdict.passed
    report = verdict.report()
    assert "xor_errors(w1=1, w2=2, b=-1)" in report
    assert "expected 1" in report and "obtained 2" in report
    assert "use z >= 0, not z > 0" in report


# Added in review: further plausible wrong answers, each rejected.


@pytest.mark.parametrize(
    "step",
    [np.sign, lambda z: float(np.heaviside(z, 0.5))],
    ids=["sign instead of step", "step of one half at z = 0"],
)
def test_a_step_with_the_wrong_values_is_rejected(step):
    assert not evaluate("1.1", {"neuron": neuron_with(step)}).passed


def test_a_sigmoid_with_the_sign_of_z_flipped_is_rejected():
    def neuron(x, w, b, activation):
        z = x @ w + b
        return {
            "relu": max(z, 0.0),
            "sigmoid": 1 / (1 + np.exp(z)),
            "identity": z,
            "step": float(z >= 0),
        }[activation]

    assert not evaluate("1.1", {"neuron": neuron}).passed


def test_xor_counting_as_a_fraction_is_rejected():
    def fraction(w1, w2, b):
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        fired = X @ np.array([w1, w2]) + b >= 0
        return float(np.mean(fired != np.array([0, 1, 1, 0])))

    assert not evaluate("1.5", {"xor_errors": fraction}).passed

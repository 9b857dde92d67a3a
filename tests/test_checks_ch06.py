"""Chapter 6's checks: plausible wrong answers fail, each with the hint that fits it."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from conftest import SOLUTIONS

from nnbook.exercises import evaluate
from nnbook.exercises.ch06 import suspect_backward


def solved_namespace() -> dict:
    """Every code cell of the solution notebook but the checks (the answers need the
    given suspect_backward cell, which is neither setup nor an answer)."""
    notebook = nbformat.read(SOLUTIONS / "06_backpropagation.ipynb", as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        role = cell.metadata.get("nnbook", {}).get("role")
        if cell.cell_type == "code" and role != "check":
            exec(compile(cell.source, cell.id, "exec"), namespace)
    return namespace


SOLVED = solved_namespace()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def report_of(number, answers):
    verdict = evaluate(number, answers)
    assert verdict.status == "failed" and verdict.points == 0, verdict.report()
    return verdict.report()


@pytest.mark.parametrize(
    "number, name",
    [
        ("6.1", "softplus_backward"),
        ("6.2", "divide_backward"),
        ("6.3", "predicted_gradients"),
        ("6.4", "gradient_errors"),
        ("6.5", "buggy_line"),
        ("6.6", "linear_backward"),
    ],
)
def test_the_solution_notebooks_answers_pass(number, name):
    namespace = dict(SOLVED)
    assert name in namespace
    assert evaluate(number, namespace).passed


# 6.1 softplus -------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda x, g: sigmoid(x), "the local derivative alone"),
        (lambda x, g: sigmoid(-np.asarray(x, dtype=float)) * g, "is sigma(-x)"),
        (lambda x, g: np.exp(x) * g, "derivative of the inside only"),
        (lambda x, g: np.log1p(np.exp(x)) * g, "this is the forward value"),
    ],
    ids=["forgot grad_out", "sigma(-x)", "exp only", "forward value"],
)
def test_softplus_backward_mistakes_are_rejected_with_their_hint(wrong, hint):
    assert hint in report_of("6.1", {"softplus_backward": wrong})


# 6.2 division -------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda a, b, g: (g / b, g * a / b**2), "the sign of the gradient for b"),
        (lambda a, b, g: (g / b, -g / b**2), "lacks the numerator"),
        (lambda a, b, g: (g / b, -g * a / b), "needs b squared"),
        (lambda a, b, g: (1 / b, -a / b**2), "multiply both local derivatives"),
        (lambda a, b, g: (-g * a / b**2, g / b), "swapped"),
    ],
    ids=["sign", "no numerator", "no square", "no grad_out", "swapped"],
)
def test_divide_backward_mistakes_are_rejected_with_their_hint(wrong, hint):
    assert hint in report_of("6.2", {"divide_backward": wrong})


def test_divide_backward_returning_only_one_gradient_is_rejected():
    report = report_of("6.2", {"divide_backward": lambda a, b, g: g / b})
    assert "expected a sequence of 2 items" in report


# 6.3 prediction -----------------------------------------------------------


@pytest.mark.parametrize(
    "prediction, message",
    [
        ((-0.13056, 0.0, 0.0), "gradients before the change"),
        ((0.0384, 0.0384, 0.108), "signs are flipped"),
        ((-0.0384, -0.0384, 0.0), "hidden unit 2 is active"),
        ((-0.13056, -0.13056, -0.108), "delta2 is still the old one"),
        ((-0.0384, -0.0384, -0.12), "Check dL/db1_2"),
        ((-0.0384, -0.0384), "should be three numbers"),
        ("about -0.04", "should be three numbers"),
    ],
)
def test_wrong_predictions_are_rejected_with_an_explanation(prediction, message):
    assert message in report_of("6.3", {"predicted_gradients": prediction})


def test_prediction_as_an_array_of_the_right_values_passes():
    answer = np.array([-0.0384, -0.0384, -0.108])
    assert evaluate("6.3", {"predicted_gradients": answer}).passed


# 6.4 gradient check -------------------------------------------------------


def make_gradient_errors(difference="central", half=True, mean=True, norm=True):
    """A learner's gradient_errors with one chosen mistake."""

    def gradient_errors(X, W1, b1, W2, b2, Y):
        params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]

        def loss():
            Y_hat = np.tanh(X @ params[0] + params[1]) @ params[2] + params[3]
            total = np.sum((Y_hat - Y) ** 2) * (0.5 if half else 1.0)
            return total / (len(X) if mean else 1.0)

        h, errors = 1e-6, []
        for theta, grad in zip(params, suspect_backward(X, *params, Y), strict=True):
            numeric, base = np.zeros(theta.shape), loss()
            for i in np.ndindex(theta.shape):
                saved = theta[i]
                theta[i] = saved + h
                up = loss()
                theta[i] = saved - h
                down = loss()
                theta[i] = saved
                if difference == "central":
                    numeric[i] = (up - down) / (2 * h)
                else:
                    numeric[i] = (up - base) / h
            if norm:
                scale = np.linalg.norm(grad) + np.linalg.norm(numeric)
                errors.append(float(np.linalg.norm(grad - numeric) / scale))
            else:
                scale = np.abs(grad) + np.abs(numeric)
                errors.append(float(np.max(np.abs(grad - numeric) / scale)))
        return tuple(errors)

    return gradient_errors


def test_a_correct_gradient_check_passes():
    assert evaluate("6.4", {"gradient_errors": make_gradient_errors()}).passed


@pytest.mark.parametrize(
    "options, hint",
    [
        ({"difference": "forward"}, "use central differences"),
        ({"half": False}, "with the 1/2"),
        ({"mean": False}, "averaged over the m examples"),
        ({"norm": False}, "relative error of whole arrays"),
    ],
    ids=["forward difference", "no 1/2", "no mean", "elementwise"],
)
def test_gradient_check_mistakes_are_rejected_with_their_hint(options, hint):
    answer = make_gradient_errors(**options)
    assert hint in report_of("6.4", {"gradient_errors": answer})


def test_gradient_check_that_does_not_restore_the_parameters_is_rejected():
    def gradient_errors(X, W1, b1, W2, b2, Y):
        good = make_gradient_errors()
        W1 = W1 + 1e-3  # perturbed and never restored
        return good(X, W1, b1, W2, b2, Y)

    report_of("6.4", {"gradient_errors": gradient_errors})


def test_relative_error_against_the_numerical_gradient_alone_is_rejected():
    # ||g - g_num|| / ||g_num||, a common definition, but not the one asked for
    def gradient_errors(X, W1, b1, W2, b2, Y):
        params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]

        def loss():
            Y_hat = np.tanh(X @ params[0] + params[1]) @ params[2] + params[3]
            return np.sum((Y_hat - Y) ** 2) / (2 * len(X))

        errors = []
        for theta, grad in zip(params, suspect_backward(X, *params, Y), strict=True):
            numeric = np.zeros(theta.shape)
            for i in np.ndindex(theta.shape):
                saved = theta[i]
                theta[i] = saved + 1e-6
                up = loss()
                theta[i] = saved - 1e-6
                down = loss()
                theta[i] = saved
                numeric[i] = (up - down) / 2e-6
            scale = np.linalg.norm(numeric)
            errors.append(float(np.linalg.norm(grad - numeric) / scale))
        return tuple(errors)

    report_of("6.4", {"gradient_errors": gradient_errors})


# 6.5 the bug --------------------------------------------------------------


@pytest.mark.parametrize(
    "line, message",
    [
        (2, "gradients of W2 and b2"),
        (5, "right for the values it receives"),
        (9, "There is no line 9"),
        ("4", "should be a whole number"),
        (4.0, "should be a whole number"),
    ],
)
def test_a_wrong_line_is_rejected_with_a_reason(line, message):
    assert message in report_of("6.5", {"buggy_line": line})


# 6.6 PyTorch-layout layer backward ---------------------------------------


def make_linear_backward(
    weight="right", back="right", bias="right", slope=True, relu_at_zero=0.0
):
    """A learner's linear_backward with one chosen mistake."""

    def linear_backward(A_prev, W_t, b, dA, activation):
        Z = A_prev @ W_t.T + b
        if activation == "relu":
            f_prime = np.where(Z > 0, 1.0, np.where(Z == 0, relu_at_zero, 0.0))
        elif activation == "tanh":
            f_prime = 1 - np.tanh(Z) ** 2
        else:
            f_prime = np.ones_like(Z)
        delta = dA * f_prime if slope else dA
        dA_prev = delta @ W_t if back == "right" else delta @ W_t.T
        dW_t = delta.T @ A_prev if weight == "right" else A_prev.T @ delta
        db = {
            "right": delta.sum(axis=0),
            "unsummed": delta,
            "axis1": delta.sum(axis=1),
            "keepdims": delta.sum(axis=0, keepdims=True),
            "mean": delta.mean(axis=0),
        }[bias]
        return dA_prev, dW_t, db

    return linear_backward


def test_a_correct_pytorch_layout_backward_passes():
    assert evaluate("6.6", {"linear_backward": make_linear_backward()}).passed


@pytest.mark.parametrize(
    "options, hint",
    [
        ({"weight": "row"}, "dW_t has the shape of W_t"),
        ({"back": "transposed"}, "dA_prev = delta @ W_t"),
        ({"bias": "unsummed"}, "sums delta over the batch"),
        ({"bias": "axis1"}, "summed over the wrong axis"),
        ({"bias": "keepdims"}, "sum without keepdims"),
        ({"slope": False}, "the slope f'(Z) is missing"),
        ({"relu_at_zero": 1.0}, "ReLU's slope at z = 0 is 0"),
    ],
    ids=[
        "row-convention dW",
        "missing transpose back",
        "bias not summed",
        "bias wrong axis",
        "bias (1, k)",
        "forgot f'",
        "relu slope 1 at 0",
    ],
)
def test_pytorch_layout_mistakes_are_rejected_with_their_hint(options, hint):
    answer = make_linear_backward(**options)
    assert hint in report_of("6.6", {"linear_backward": answer})


def test_a_layer_that_leaves_the_bias_out_of_z_is_rejected():
    # the slope must be taken at Z = A_prev @ W_t.T + b, bias included
    def linear_backward(A_prev, W_t, b, dA, activation):
        Z = A_prev @ W_t.T  # bias forgotten
        if activation == "relu":
            f_prime = np.where(Z > 0, 1.0, 0.0)
        elif activation == "tanh":
            f_prime = 1 - np.tanh(Z) ** 2
        else:
            f_prime = np.ones_like(Z)
        delta = dA * f_prime
        return delta @ W_t, delta.T @ A_prev, delta.sum(axis=0)

    report_of("6.6", {"linear_backward": linear_backward})


def test_bias_gradient_averaged_over_the_batch_is_rejected():
    answer = make_linear_backward(bias="mean")
    report_of("6.6", {"linear_backward": answer})


def test_row_convention_gradient_has_the_wrong_shape_named_in_the_feedback():
    report = report_of("6.6", {"linear_backward": make_linear_backward(weight="row")})
    assert "expected an array of shape (2, 3), got an array of shape (3, 2)" in report


def test_an_answer_that_uses_the_chapters_saved_layer_does_not_score():
    from nnbook import nn

    def linear_backward(A_prev, W_t, b, dA, activation):
        f, f_prime = nn.activation_and_slope(activation)
        _, cache = nn.dense_forward(A_prev, W_t.T, b, f)
        dA_prev, dW, db = nn.dense_backward(dA, W_t.T, cache, f_prime)
        return dA_prev, dW.T, db

    verdict = evaluate("6.6", {"linear_backward": linear_backward}, guard=True)
    assert verdict.points == 0
    assert "course's own implementation" in verdict.report()


def test_the_notebooks_suspect_backward_is_the_one_the_checks_grade_against():
    rng = np.random.default_rng(3)
    args = (
        rng.normal(size=(4, 3)),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
        rng.normal(size=(4, 3)),
    )
    for ours, theirs in zip(
        suspect_backward(*args), SOLVED["suspect_backward"](*args), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)

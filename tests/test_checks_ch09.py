"""Chapter 9's checks: right answers pass, plausible wrong answers fail with help."""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest
from conftest import SOLUTIONS

from nnbook.exercises import evaluate
from nnbook.exercises.ch09 import (
    CELL_PATH,
    DESIGN_W_XF,
    DESIGN_X,
    _backward,
    _cell_path,
    _dh_dw,
    _first_step_below,
    _fixed_point_rate,
    _sigmoid,
)


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's code cells, run as a learner would (checks left out)."""
    notebook = nbformat.read(SOLUTIONS / "09_sequences.ipynb", as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "check(" not in cell.source:
            exec(compile(cell.source, cell.id, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("number", ["9.1", "9.2", "9.3", "9.4", "9.5"])
def test_the_solution_passes(solution, number):
    assert evaluate(number, solution).passed


# 9.1 ---------------------------------------------------------------------------


def last_state(w, u, b, h0, x):
    h = h0
    for x_t in x:
        h = math.tanh(w * h + u * x_t + b)
    return h


def test_the_reference_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    for _ in range(20):
        w, u, b, h0 = rng.normal(size=4)
        x = rng.normal(size=int(rng.integers(1, 8)))
        eps = 1e-6
        numeric = (
            last_state(w + eps, u, b, h0, x) - last_state(w - eps, u, b, h0, x)
        ) / (2 * eps)
        assert math.isclose(_dh_dw(w, u, b, h0, x), numeric, rel_tol=1e-6, abs_tol=1e-9)


def dh_dw_variant(term="previous", slope="h", accumulate=True):
    def dhT_dw(w, u, b, h0, x):
        h, g = h0, 0.0
        for x_t in x:
            h_new = np.tanh(w * h + u * x_t + b)
            factor = {"h": 1 - h_new**2, "none": 1.0, "tanh": 1 - np.tanh(h_new) ** 2}
            direct = h if term == "previous" else h_new
            g = factor[slope] * (direct + (w * g if accumulate else 0.0))
            h = h_new
        return g

    return dhT_dw


def test_the_last_steps_term_alone_is_rejected():
    report = evaluate("9.1", {"dhT_dw": dh_dw_variant(accumulate=False)})
    assert not report.passed and "only the last step's term" in report.report()


def test_forgetting_the_slope_is_rejected():
    report = evaluate("9.1", {"dhT_dw": dh_dw_variant(slope="none")})
    assert (
        not report.passed and "slope f'(z_t) = 1 - h_t^2 is missing" in report.report()
    )


def test_the_slope_at_the_state_is_rejected():
    report = evaluate("9.1", {"dhT_dw": dh_dw_variant(slope="tanh")})
    assert not report.passed and "evaluated at the state" in report.report()


def test_the_new_state_in_the_direct_term_is_rejected():
    report = evaluate("9.1", {"dhT_dw": dh_dw_variant(term="new")})
    assert not report.passed and "not f'(z_t) h_t" in report.report()


def test_the_gradient_with_respect_to_h0_is_rejected():
    def dh_dh0(w, u, b, h0, x):
        h, g = h0, 1.0
        for x_t in x:
            h = np.tanh(w * h + u * x_t + b)
            g *= w * (1 - h**2)
        return g

    assert not evaluate("9.1", {"dhT_dw": dh_dh0}).passed


# 9.2 ---------------------------------------------------------------------------


def test_the_prediction_values_are_what_the_text_says():
    assert 0.39 < _fixed_point_rate() < 0.40
    assert _first_step_below() == 10


def test_w_alone_is_rejected_with_a_hint():
    report = evaluate("9.2", {"vanishing_prediction": (1.5, 10)})
    assert not report.passed and "that is w alone" in report.report()


def test_the_fixed_point_estimate_is_not_the_confirmed_step():
    rate = _fixed_point_rate()
    estimate = math.ceil(math.log(1e-3) / math.log(rate))
    assert estimate != _first_step_below()
    report = evaluate("9.2", {"vanishing_prediction": (rate, estimate)})
    assert not report.passed and "estimate from the fixed point" in report.report()


@pytest.mark.parametrize("shift", [-1, 1])
def test_an_off_by_one_step_is_rejected(shift):
    step = _first_step_below() + shift
    report = evaluate("9.2", {"vanishing_prediction": (_fixed_point_rate(), step)})
    assert not report.passed and "off by one" in report.report()


def test_a_prediction_of_explosion_is_rejected():
    assert not evaluate("9.2", {"vanishing_prediction": (1.5, None)}).passed
    assert not evaluate("9.2", {"vanishing_prediction": "explodes"}).passed


@pytest.mark.parametrize("step", [9.5, float("nan"), float("inf"), True])
def test_a_step_that_is_not_a_whole_number_is_rejected(step):
    report = evaluate("9.2", {"vanishing_prediction": (_fixed_point_rate(), step)})
    assert not report.passed and "whole number" in report.report()


# 9.3 ---------------------------------------------------------------------------


def test_the_reference_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    m, T, n, n_h = 2, 4, 3, 3
    X, W_x = rng.normal(size=(m, T, n)), rng.normal(size=(n, n_h))
    W_h, b, h0 = (
        rng.normal(size=(n_h, n_h)),
        rng.normal(size=n_h),
        rng.normal(size=(m, n_h)),
    )
    dH = rng.normal(size=(m, T, n_h))

    def states(W_x, W_h, b, h0):
        H = np.zeros((m, T + 1, n_h))
        H[:, 0] = h0
        for t in range(1, T + 1):
            H[:, t] = np.tanh(X[:, t - 1] @ W_x + H[:, t - 1] @ W_h + b)
        return H

    params = [W_x, W_h, b, h0]
    analytic = _backward(X, states(*params), W_h, dH)
    for index, grad in enumerate(analytic):
        numeric = np.zeros_like(grad)
        for position in np.ndindex(grad.shape):
            up = [p.copy() for p in params]
            up[index][position] += 1e-6
            down = [p.copy() for p in params]
            down[index][position] -= 1e-6
            numeric[position] = (
                np.sum(dH * states(*up)[:, 1:]) - np.sum(dH * states(*down)[:, 1:])
            ) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "mistake, hint",
    [
        ({"transpose": False}, "W_h transposed"),
        ({"slope": False}, "f'(z_t) is missing"),
        ({"slope_at_h": True}, "evaluated at the state"),
        ({"axis": 1}, "wrong axis"),
        ({"accumulate": False}, "overwritten at each step"),
        ({"every_step": False}, "only the last step's loss"),
        ({"carry": False}, "gradient from later steps is dropped"),
        ({"previous": False}, "not h_t"),
    ],
)
def test_each_bptt_mistake_is_rejected_with_its_hint(mistake, hint):
    def rnn_backward_all(X, H, W_h, dH):
        return _backward(X, H, W_h, dH, **mistake)

    report = evaluate("9.3", {"rnn_backward_all": rnn_backward_all})
    assert not report.passed and hint in report.report()


def test_returning_a_list_in_another_order_is_rejected():
    def rnn_backward_all(X, H, W_h, dH):
        dW_x, dW_h, db, dh0 = _backward(X, H, W_h, dH)
        return dW_h, dW_x, db, dh0

    assert not evaluate("9.3", {"rnn_backward_all": rnn_backward_all}).passed


# 9.4 ---------------------------------------------------------------------------


def peephole_cells(A_f, U, p, c_start, start):
    """c_k = sigma(a_k + p c_{k-1}) c_{k-1} + u_k for k > start, from c_start."""
    C = np.zeros((A_f.shape[0] + 1, A_f.shape[1]))
    C[start] = c_start
    for k in range(start + 1, A_f.shape[0] + 1):
        C[k] = _sigmoid(A_f[k - 1] + p * C[k - 1]) * C[k - 1] + U[k - 1]
    return C


def test_the_peephole_reference_matches_finite_differences():
    rng = np.random.default_rng(9)
    for _ in range(10):
        A_f, U = rng.normal(size=(2, 7, 3))
        p = rng.normal(size=3)
        C = peephole_cells(A_f, U, p, rng.normal(size=3), 0)
        s, t = sorted(int(k) for k in rng.integers(0, 8, size=2))
        numeric = np.array(
            [
                (
                    peephole_cells(A_f, U, p, C[s] + 1e-6 * e, s)[t]
                    - peephole_cells(A_f, U, p, C[s] - 1e-6 * e, s)[t]
                )
                @ e
                / 2e-6
                for e in np.eye(3)
            ]
        )
        np.testing.assert_allclose(
            _cell_path(A_f, C, p, s, t), numeric, rtol=1e-6, atol=1e-9
        )


def peephole_variant(
    through_gate=True,
    peephole=True,
    lag=1,
    slope=True,
    start=0,
    stop=0,
    combine=np.prod,
    axis=0,
):
    """A learner's cell_path_gradient with one slip (none with the defaults)."""

    def cell_path_gradient(A_f, C, p, s, t):
        ks = np.arange(max(s + 1 + start, 1), t + 1 + stop)
        c_read = C[ks - lag]
        f = _sigmoid(A_f[ks - 1] + (p * c_read if peephole else 0))
        factors = f + p * c_read * (f * (1 - f) if slope else 1) if through_gate else f
        return combine(factors, axis=axis)

    return cell_path_gradient


def test_the_right_peephole_gradient_passes():
    assert evaluate("9.4", {"cell_path_gradient": peephole_variant()}).passed


@pytest.mark.parametrize(
    "variant, hint",
    [
        (peephole_variant(through_gate=False), "the chapter's answer"),
        (peephole_variant(peephole=False), "missing inside sigma"),
        (peephole_variant(lag=0), "off by one step in C"),
        (peephole_variant(slope=False), "slope"),
        (peephole_variant(start=-1), "one factor too many"),
        (peephole_variant(stop=-1), "one factor too few"),
        (peephole_variant(combine=np.sum), "do not add"),
        (peephole_variant(axis=1), "wrong axis"),
    ],
)
def test_each_cell_path_mistake_is_rejected_with_its_hint(variant, hint):
    report = evaluate("9.4", {"cell_path_gradient": variant})
    assert not report.passed and hint in report.report()


def test_one_minus_the_gate_is_rejected():
    def cell_path_gradient(A_f, C, p, s, t):
        f = _sigmoid(A_f[s:t] + p * C[s:t])
        f = 1 - f
        return np.prod(f + C[s:t] * f * (1 - f) * p, axis=0)

    assert not evaluate("9.4", {"cell_path_gradient": cell_path_gradient}).passed


def test_a_scalar_instead_of_one_number_per_unit_is_rejected():
    def cell_path_gradient(A_f, C, p, s, t):
        return float(np.prod(_cell_path(A_f, C, p, s, t)))

    assert not evaluate("9.4", {"cell_path_gradient": cell_path_gradient}).passed


def test_without_a_peephole_the_chapters_product_is_the_answer():
    A_f, C, p, s, t = CELL_PATH.cases[-1].args
    assert np.all(p == 0)
    np.testing.assert_allclose(
        _cell_path(A_f, C, p, s, t), np.prod(_sigmoid(A_f[s:t]), axis=0)
    )


# 9.5 ---------------------------------------------------------------------------


def logit(p):
    return math.log(p / (1 - p))


def test_a_bias_at_the_middle_of_the_window_passes():
    middle = (0.5 ** (1 / 20) + 0.05 ** (1 / 100)) / 2
    bias = logit(middle) - DESIGN_X @ DESIGN_W_XF
    assert evaluate("9.5", {"forget_bias": bias}).passed


def test_one_bias_for_every_unit_is_rejected_with_a_hint():
    middle = (0.5 ** (1 / 20) + 0.05 ** (1 / 100)) / 2
    report = evaluate("9.5", {"forget_bias": np.full(6, logit(middle))})
    assert not report.passed and "ignores the input's contribution" in report.report()


def test_a_bias_that_remembers_forever_is_rejected():
    report = evaluate("9.5", {"forget_bias": 10.0 - DESIGN_X @ DESIGN_W_XF})
    assert not report.passed and "still left after 100 steps" in report.report()


def test_the_common_default_bias_of_one_forgets_too_soon():
    report = evaluate("9.5", {"forget_bias": 1.0 - DESIGN_X @ DESIGN_W_XF})
    assert not report.passed and "after 20 steps" in report.report()


def test_a_bias_with_the_wrong_shape_or_values_is_rejected():
    assert not evaluate("9.5", {"forget_bias": np.zeros(5)}).passed
    assert not evaluate("9.5", {"forget_bias": np.full(6, np.nan)}).passed
    assert not evaluate("9.5", {"forget_bias": "large"}).passed


# More plausible slips (review) ---------------------------------------------------


def dh_dw_slip(kind):
    """A learner's dhT_dw with one slip in the time index or the chain."""

    def dhT_dw(w, u, b, h0, x):
        x = np.asarray(x, dtype=float)
        if kind == "inputs shifted":  # step t reads x_{t-1}
            x = np.concatenate([[0.0], x[:-1]])
        h = [h0]
        for x_t in x:
            h.append(math.tanh(w * h[-1] + u * x_t + b))
        g = total = 0.0
        for t in range(1, len(h)):
            slope = 1 - h[t - 1] ** 2 if kind == "slope of step t-1" else 1 - h[t] ** 2
            if kind == "terms not chained":  # one direct term per step, summed
                total += slope * h[t - 1]
            elif kind == "first step skipped" and t == 1:
                continue
            else:
                g = slope * (h[t - 1] + w * g)
        return total if kind == "terms not chained" else g

    return dhT_dw


@pytest.mark.parametrize(
    "kind",
    ["slope of step t-1", "first step skipped", "terms not chained", "inputs shifted"],
)
def test_off_by_one_and_unchained_gradients_are_rejected(kind):
    assert not evaluate("9.1", {"dhT_dw": dh_dw_slip(kind)}).passed


def bptt_slip(kind):
    """A learner's rnn_backward_all with one slip not covered by _backward's flags."""

    def rnn_backward_all(X, H, W_h, dH):
        dW_x = np.zeros((X.shape[2], W_h.shape[0]))
        dW_h = np.zeros_like(W_h)
        db = np.zeros(W_h.shape[0])
        dh = np.zeros_like(H[:, 0])
        for t in range(X.shape[1], 0, -1):
            if kind == "own loss skips the slope":
                delta = dh * (1 - H[:, t] ** 2) + dH[:, t - 1]
            else:
                dh = dh + dH[:, t - 1]
                state = H[:, t - 1] if kind == "slope of step t-1" else H[:, t]
                delta = dh * (1 - state**2)
            dW_x += X[:, t - 1].T @ delta
            dW_h += (
                delta.T @ H[:, t - 1]
                if kind == "dW_h transposed"
                else (H[:, t - 1].T @ delta)
            )
            db += delta.sum(axis=0)
            dh = delta @ W_h.T
        return dW_x, dW_h, db, delta if kind == "delta_1 for dh_0" else dh

    return rnn_backward_all


@pytest.mark.parametrize(
    "kind",
    [
        "own loss skips the slope",
        "slope of step t-1",
        "dW_h transposed",
        "delta_1 for dh_0",
    ],
)
def test_more_bptt_slips_are_rejected(kind):
    assert not evaluate("9.3", {"rnn_backward_all": bptt_slip(kind)}).passed


def test_the_slope_alone_without_w_is_rejected():
    h = 0.5
    for _ in range(1000):
        h = math.tanh(1.5 * h)
    value = (1 - h * h, _first_step_below())  # f'(z) at the fixed point, w left out
    assert not evaluate("9.2", {"vanishing_prediction": value}).passed

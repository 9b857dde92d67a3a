"""Exercises of chapter 9, Sequences (``solutions/09_sequences.ipynb``).

9.1 derivation (the gradient with respect to the shared recurrent weight), 9.2
prediction (a recurrent weight above 1 whose gradient still vanishes), 9.3
implementation (BPTT with a loss at every step, which the chapter did not write),
9.4 derivation (the cell-path gradient of an LSTM with a peephole), 9.5 design
(forget-gate biases).
"""

from __future__ import annotations

import math

import numpy as np

from nnbook.exercises import Case, Diagnosis, Exercise

# ---------------------------------------------------------------------------
# 9.1 derivation: d h_T / d w for the scalar RNN h_t = tanh(w h_{t-1} + u x_t + b).


def _states(w, u, b, h0, x):
    states = [float(h0)]
    for x_t in np.asarray(x, dtype=float):
        states.append(math.tanh(w * states[-1] + u * x_t + b))
    return states


def _dh_dw(w, u, b, h0, x):
    # forward mode: g_t = dh_t/dw = f'(z_t) (h_{t-1} + w g_{t-1}), g_0 = 0
    h, g = _states(w, u, b, h0, x), 0.0
    for t in range(1, len(h)):
        g = (1 - h[t] ** 2) * (h[t - 1] + w * g)
    return g


def _dh_dw_last_term(w, u, b, h0, x):
    h = _states(w, u, b, h0, x)
    return (1 - h[-1] ** 2) * h[-2]


def _dh_dw_no_slope(w, u, b, h0, x):
    h, g = _states(w, u, b, h0, x), 0.0
    for t in range(1, len(h)):
        g = h[t - 1] + w * g
    return g


def _dh_dw_slope_at_h(w, u, b, h0, x):
    h, g = _states(w, u, b, h0, x), 0.0
    for t in range(1, len(h)):
        g = (1 - math.tanh(h[t]) ** 2) * (h[t - 1] + w * g)
    return g


def _dh_dw_new_state(w, u, b, h0, x):
    h, g = _states(w, u, b, h0, x), 0.0
    for t in range(1, len(h)):
        g = (1 - h[t] ** 2) * (h[t] + w * g)
    return g


DH_DW = Exercise(
    number="9.1",
    title="the gradient of the last state with respect to the shared recurrent weight",
    points=3,
    answer="dhT_dw",
    arg_names=("w", "u", "b", "h0", "x"),
    cases=(
        Case((0.8, 1.0, 0.0, 0.5, np.array([0.3]))),  # one step: f'(z_1) h_0
        Case((0.8, 1.0, 0.0, 0.0, np.array([1.0, 0.0, 0.0]))),  # h_0 = 0
        Case((1.3, 0.5, 0.2, -0.4, np.array([0.5, -1.0, 2.0, 0.1]))),
        Case((-0.9, 1.5, -0.3, 0.7, np.array([1.0, 1.0, -0.5, 0.3, 0.0, -2.0]))),
        Case((0.5, 0.7, 0.1, 0.2, np.linspace(-1.0, 1.0, 12))),
    ),
    reference=_dh_dw,
    rtol=1e-7,
    diagnoses=(
        Diagnosis(
            "this is only the last step's term, f'(z_T) h_{T-1}. w is used at every "
            "step, and h_{T-1} itself depends on w: the gradient sums one term per "
            "step (or carry g_t = f'(z_t) (h_{t-1} + w g_{t-1}) forward).",
            _dh_dw_last_term,
        ),
        Diagnosis(
            "the slope f'(z_t) = 1 - h_t^2 is missing from each step's factor.",
            _dh_dw_no_slope,
        ),
        Diagnosis(
            "the slope is evaluated at the state, 1 - tanh(h_t)^2; tanh'(z_t) = "
            "1 - tanh(z_t)^2 = 1 - h_t^2.",
            _dh_dw_slope_at_h,
        ),
        Diagnosis(
            "step t uses w h_{t-1}, so its direct term is f'(z_t) h_{t-1}, not "
            "f'(z_t) h_t.",
            _dh_dw_new_state,
        ),
    ),
)

# ---------------------------------------------------------------------------
# 9.2 prediction: h_t = tanh(1.5 h_{t-1}) from h_0 = 0.5 -- does the gradient explode?

PREDICTION_W, PREDICTION_H0, PREDICTION_THRESHOLD = 1.5, 0.5, 1e-3


def _fixed_point_rate() -> float:
    h = PREDICTION_H0
    for _ in range(10_000):
        h = math.tanh(PREDICTION_W * h)
    return abs(PREDICTION_W * (1 - h * h))


def _first_step_below() -> int:
    h, g, t = PREDICTION_H0, 1.0, 0
    while abs(g) >= PREDICTION_THRESHOLD:
        t += 1
        h = math.tanh(PREDICTION_W * h)
        g *= PREDICTION_W * (1 - h * h)
    return t


def _judge_prediction(value) -> tuple[bool, str]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return False, (
            "`vanishing_prediction` should be a pair: (the factor per step at the "
            "fixed point, the first time step t with |dh_t/dh_0| < 1e-3)."
        )
    rate, step = value
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        return False, "the first item should be a number: the factor per step."
    expected_rate, expected_step = _fixed_point_rate(), _first_step_below()
    lines, ok = [], True
    if not math.isclose(rate, expected_rate, abs_tol=1e-3):
        ok = False
        lines.append(f"the factor per step at the fixed point is not {rate:.4g}.")
        if math.isclose(rate, PREDICTION_W, abs_tol=1e-3):
            lines.append(
                "  Hint: that is w alone. Each factor is w f'(z_t) = w (1 - h_t^2), "
                "evaluated where the state settles: h* = tanh(1.5 h*), h* != 0 (0 is "
                "a fixed point too, but the state moves away from it)."
            )
    whole = (
        not isinstance(step, bool)
        and isinstance(step, (int, float))
        and math.isfinite(step)
        and step == int(step)
    )
    if not whole:
        ok = False
        lines.append("the second item should be a whole number of time steps.")
    elif int(step) != expected_step:
        ok = False
        estimate = math.ceil(math.log(PREDICTION_THRESHOLD) / math.log(expected_rate))
        lines.append(f"t = {int(step)} is not the first step below 1e-3.")
        if int(step) == estimate:
            lines.append(
                "  Hint: that is the estimate from the fixed point's factor alone. "
                "Confirm it by running the recurrence from h_0 = 0.5: before the state "
                "settles, the factors are different."
            )
        elif abs(int(step) - expected_step) == 1:
            lines.append(
                "  Hint: off by one. Count t from 1 (h_1 is the first new state) and "
                "give the first t with |dh_t/dh_0| < 1e-3."
            )
    if ok:
        return True, (
            f"the factor settles at {expected_rate:.4f} < 1 although w = 1.5, and the "
            f"gradient first drops below 1e-3 at t = {expected_step}."
        )
    return False, "\n".join(lines)


PREDICTION = Exercise(
    number="9.2",
    title="when a recurrent weight above 1 still vanishes",
    points=2,
    answer="vanishing_prediction",
    judge_value=_judge_prediction,
)

# ---------------------------------------------------------------------------
# 9.3 implementation: BPTT for a tanh RNN with a loss at every step.


def _bptt_case(m, T, n, n_h, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, T, n))
    W_x = rng.normal(scale=n**-0.5, size=(n, n_h))
    W_h = rng.normal(scale=1.2 * n_h**-0.5, size=(n_h, n_h))  # not symmetric
    b = rng.normal(scale=0.3, size=n_h)
    H = np.zeros((m, T + 1, n_h))
    H[:, 0] = rng.normal(scale=0.5, size=(m, n_h))
    for t in range(1, T + 1):
        H[:, t] = np.tanh(X[:, t - 1] @ W_x + H[:, t - 1] @ W_h + b)
    dH = rng.normal(size=(m, T, n_h))
    return X, H, W_h, dH


def _backward(
    X,
    H,
    W_h,
    dH,
    *,
    transpose=True,
    slope=True,
    axis=0,
    accumulate=True,
    every_step=True,
    carry=True,
    previous=True,
    slope_at_h=False,
):
    """The reference (all defaults) and the mistakes it can be turned into."""
    T = X.shape[1]
    dW_x = np.zeros((X.shape[2], W_h.shape[0]))
    dW_h = np.zeros_like(W_h)
    db = np.zeros(W_h.shape[0]) if axis == 0 else np.zeros(X.shape[0])
    dh = np.zeros_like(H[:, 0])
    for t in range(T, 0, -1):
        if every_step or t == T:
            dh = (dh if carry else 0) + dH[:, t - 1]
        if slope_at_h:
            delta = dh * (1 - np.tanh(H[:, t]) ** 2)
        else:
            delta = dh * (1 - H[:, t] ** 2) if slope else dh
        state = H[:, t - 1] if previous else H[:, t]
        if accumulate:
            dW_x += X[:, t - 1].T @ delta
            dW_h += state.T @ delta
            db += delta.sum(axis=axis)
        else:
            dW_x, dW_h = X[:, t - 1].T @ delta, state.T @ delta
            db = delta.sum(axis=axis)
        dh = delta @ (W_h.T if transpose else W_h)
    return dW_x, dW_h, db, dh


def _reference_backward(X, H, W_h, dH):
    return _backward(X, H, W_h, dH)


def _mistake(**kwargs):
    return lambda X, H, W_h, dH: _backward(X, H, W_h, dH, **kwargs)


BPTT = Exercise(
    number="9.3",
    title="backpropagation through time with a loss at every step",
    points=3,
    answer="rnn_backward_all",
    arg_names=("X", "H", "W_h", "dH"),
    cases=(
        Case(_bptt_case(1, 1, 2, 3, seed=1)),  # one step: no recurrence yet
        Case(_bptt_case(2, 3, 2, 4, seed=2)),
        Case(_bptt_case(3, 4, 2, 3, seed=3)),  # m == n_h: a summed-axis slip fits
        Case(_bptt_case(4, 7, 3, 5, seed=4)),
    ),
    reference=_reference_backward,
    rtol=1e-7,
    diagnoses=(
        Diagnosis(
            "dL/dh_{t-1} = delta_t W_h^T: the gradient goes back through W_h "
            "transposed (h_{t-1} multiplies W_h from the left).",
            _mistake(transpose=False),
        ),
        Diagnosis(
            "f'(z_t) is missing: delta_t = dL/dh_t * (1 - h_t^2) before it reaches "
            "the weights or the previous state.",
            _mistake(slope=False),
        ),
        Diagnosis(
            "the slope is evaluated at the state, 1 - tanh(h_t)^2; tanh'(z_t) = "
            "1 - h_t^2.",
            _mistake(slope_at_h=True),
        ),
        Diagnosis(
            "db sums delta over the wrong axis: sum over the batch (axis 0), one "
            "number per hidden unit.",
            _mistake(axis=1),
        ),
        Diagnosis(
            "the weight gradients are overwritten at each step instead of summed: "
            "W_x, W_h and b are used at every step, so each step adds its term.",
            _mistake(accumulate=False),
        ),
        Diagnosis(
            "only the last step's loss is used (the chapter's case). Here every step "
            "has a loss: add dH[:, t - 1] to the gradient arriving from step t + 1.",
            _mistake(every_step=False),
        ),
        Diagnosis(
            "the gradient from later steps is dropped: dL/dh_t is the step's own "
            "dH[:, t - 1] plus delta_{t+1} W_h^T carried back from step t + 1.",
            _mistake(carry=False),
        ),
        Diagnosis(
            "dW_h pairs delta_t with h_{t-1} (the state W_h multiplied), not h_t.",
            _mistake(previous=False),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 9.4 derivation: the cell-path gradient of an LSTM whose forget gate has a peephole,
# f_k = sigma(a_k + p * c_{k-1}), c_k = f_k * c_{k-1} + i_k * g_k. The chapter's
# answer (the product of the forget gates) is the special case p = 0.


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def _peephole_factors(
    A_f, C, p, s, t, *, through_gate=True, peephole=True, lag=1, slope=True
):
    """dc_k/dc_{k-1} for k = s+1..t (the reference with all defaults) and the
    mistakes it can be turned into."""
    A_f, C, p = (np.asarray(a, dtype=float) for a in (A_f, C, p))
    ks = np.arange(s + 1, t + 1)
    c_read = C[ks - lag]  # the cell the gate reads: c_{k-1}
    f = _sigmoid(A_f[ks - 1] + (p * c_read if peephole else 0.0))
    if not through_gate:
        return f
    return f + p * c_read * (f * (1 - f) if slope else 1.0)


def _cell_path(A_f, C, p, s, t):
    return np.prod(_peephole_factors(A_f, C, p, s, t), axis=0)


def _peephole_case(T, n_h, seed, p_scale=1.0):
    rng = np.random.default_rng(seed)
    A_f = rng.normal(loc=1.5, size=(T, n_h))
    U = rng.normal(scale=0.5, size=(T, n_h))  # i_k * g_k, fixed
    p = rng.normal(scale=p_scale, size=n_h)
    C = np.zeros((T + 1, n_h))
    C[0] = rng.normal(size=n_h)
    for k in range(1, T + 1):
        C[k] = _sigmoid(A_f[k - 1] + p * C[k - 1]) * C[k - 1] + U[k - 1]
    return A_f, C, p


_P1 = _peephole_case(8, 3, seed=941)
_P2 = _peephole_case(12, 4, seed=942)
_P3 = _peephole_case(30, 5, seed=943, p_scale=0.5)
_P0 = _peephole_case(6, 3, seed=944, p_scale=0.0)  # p = 0: the chapter's LSTM

CELL_PATH = Exercise(
    number="9.4",
    title="the cell-path gradient of an LSTM with a peephole",
    points=2,
    answer="cell_path_gradient",
    arg_names=("A_f", "C", "p", "s", "t"),
    cases=(
        Case((*_P1, 0, 8)),
        Case((*_P1, 3, 3)),  # no steps between: the identity, all ones
        Case((*_P2, 2, 6)),  # t - s == n_h: a product over the wrong axis fits
        Case((*_P2, 5, 6)),  # one step
        Case((*_P3, 4, 30)),
        Case((*_P0, 0, 6)),  # without the peephole the chapter's product is right
    ),
    reference=_cell_path,
    rtol=1e-9,
    diagnoses=(
        Diagnosis(
            "this is the chapter's answer, the product of the forget gates. Here the "
            "gate reads c_{k-1} too, so f_k * c_{k-1} is a product of two factors "
            "that both depend on c_{k-1}: differentiate both.",
            lambda A_f, C, p, s, t: np.prod(
                _peephole_factors(A_f, C, p, s, t, through_gate=False), axis=0
            ),
        ),
        Diagnosis(
            "the gate's pre-activation is a_k + p * c_{k-1}: the peephole term is "
            "missing inside sigma.",
            lambda A_f, C, p, s, t: np.prod(
                _peephole_factors(A_f, C, p, s, t, peephole=False), axis=0
            ),
        ),
        Diagnosis(
            "off by one step in C: step k's gate reads the previous cell c_{k-1}, "
            "row k - 1 of C, not c_k.",
            lambda A_f, C, p, s, t: np.prod(
                _peephole_factors(A_f, C, p, s, t, lag=0), axis=0
            ),
        ),
        Diagnosis(
            "the slope sigma'(.) = f_k (1 - f_k) is missing from the term through the "
            "gate: d f_k / d c_{k-1} = f_k (1 - f_k) p.",
            lambda A_f, C, p, s, t: np.prod(
                _peephole_factors(A_f, C, p, s, t, slope=False), axis=0
            ),
        ),
        Diagnosis(
            "one factor too many: c_s reaches c_t through steps s + 1, ..., t only.",
            lambda A_f, C, p, s, t: (
                _cell_path(A_f, C, p, s, t)
                * (_peephole_factors(A_f, C, p, s - 1, s)[0] if s > 0 else 1.0)
            ),
        ),
        Diagnosis(
            "one factor too few: the product runs over steps s + 1 to t inclusive.",
            lambda A_f, C, p, s, t: (
                _cell_path(A_f, C, p, s, t - 1)
                if t > s
                else _cell_path(A_f, C, p, s, t)
            ),
        ),
        Diagnosis(
            "the factors multiply along the path; they do not add.",
            lambda A_f, C, p, s, t: np.sum(_peephole_factors(A_f, C, p, s, t), axis=0),
        ),
        Diagnosis(
            "the product runs over the wrong axis: over time (axis 0), one result "
            "per unit.",
            lambda A_f, C, p, s, t: np.prod(_peephole_factors(A_f, C, p, s, t), axis=1),
        ),
    ),
)

# ---------------------------------------------------------------------------
# 9.5 design: forget-gate biases that remember for 20 steps and forget by 100.

# The same numbers as the exercise's text (solutions/09_sequences.ipynb).
DESIGN_X = np.array([0.341, -0.216, 0.853])
DESIGN_W_XF = np.array(
    [
        [-1.243, 0.516, 0.181, 1.406, -0.338, -0.176],
        [0.352, -0.593, 0.657, -0.178, 0.115, 0.372],
        [-1.018, 0.218, 1.171, 0.463, -1.101, -0.232],
    ]
)
KEEP_STEPS, KEEP_AT_LEAST = 20, 0.5
FORGET_STEPS, FORGET_AT_MOST = 100, 0.05


def cell_path_after(forget_bias, steps):
    """The cell-path gradient of every unit after ``steps`` steps of the design's
    LSTM, whose forget gates see the constant input only."""
    gate = _sigmoid(DESIGN_X @ DESIGN_W_XF + np.asarray(forget_bias, dtype=float))
    return gate**steps


def _judge_design(value) -> tuple[bool, str]:
    try:
        bias = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False, "`forget_bias` should be an array of 6 numbers, one per unit."
    if bias.shape != (6,):
        return False, f"`forget_bias` should have shape (6,), got {bias.shape}."
    if not np.all(np.isfinite(bias)):
        return False, "`forget_bias` holds a value that is not finite."
    kept = cell_path_after(bias, KEEP_STEPS)
    left = cell_path_after(bias, FORGET_STEPS)
    lines = []
    for unit, (k, f) in enumerate(zip(kept, left, strict=True)):
        if k < KEEP_AT_LEAST:
            lines.append(
                f"unit {unit}: only {k:.3f} of the gradient is left after "
                f"{KEEP_STEPS} steps (need at least {KEEP_AT_LEAST})."
            )
        if f > FORGET_AT_MOST:
            lines.append(
                f"unit {unit}: {f:.3f} is still left after {FORGET_STEPS} "
                f"steps (need at most {FORGET_AT_MOST})."
            )
    if not lines:
        return True, (
            f"after {KEEP_STEPS} steps every unit keeps between {kept.min():.3f} and "
            f"{kept.max():.3f}; after {FORGET_STEPS} steps at most {left.max():.3f}."
        )
    if np.ptp(bias) == 0:
        lines.append(
            "Hint: one bias for every unit ignores the input's contribution x W_xf, "
            "which differs from unit to unit; subtract it."
        )
    return False, "\n".join(lines)


DESIGN = Exercise(
    number="9.5",
    title="forget-gate biases that keep a memory for 20 steps",
    points=3,
    answer="forget_bias",
    judge_value=_judge_design,
)

EXERCISES = (DH_DW, PREDICTION, BPTT, CELL_PATH, DESIGN)

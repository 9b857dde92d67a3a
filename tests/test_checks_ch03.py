"""Chapter 3: the saved code is right, the checks accept right answers, and every
plausible wrong answer is rejected with its hint."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

from nnbook.exercises import ch03, evaluate, get
from nnbook.nn import gelu, leaky_relu, softmax
from nnbook.symbolic import partial, tidy


def exact_softmax(scores) -> np.ndarray:
    """Softmax evaluated by SymPy with 40 significant digits, then rounded to floats."""
    exps = [sp.exp(sp.Rational(str(s))) for s in scores]
    total = sum(exps)
    return np.array([float(sp.N(e / total, 40)) for e in exps])


@pytest.mark.parametrize(
    "scores",
    [
        [1000.0, 999.0, 998.0],
        [-1000.0, 0.0, 1000.0],
        [-1000.0, -1001.0, -1002.0],
        [2.0, 1.0, 0.5],
    ],
)
def test_saved_softmax_matches_sympy_on_large_scores_without_overflow(scores):
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise"),
    ):
        warnings.simplefilter("error")
        p = softmax(np.array(scores))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, exact_softmax(scores), rtol=1e-13, atol=1e-300)


def test_saved_softmax_normalises_each_row_of_a_batch_along_the_last_axis():
    Z = np.array([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [2.0, 1.0, 0.5]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        P = softmax(Z, axis=-1)
        P_columns = softmax(Z.T, axis=0)
    assert P.shape == Z.shape
    for row, scores in zip(P, Z, strict=True):
        np.testing.assert_allclose(row, exact_softmax(scores), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(P_columns, P.T)


def test_saved_leaky_relu_and_gelu_give_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(leaky_relu(z, alpha=0.2), [-0.4, 0.0, 3.0])
    t = sp.Symbol("t")
    gelu_exact = t * (1 + sp.erf(t / sp.sqrt(2))) / 2
    expected = [float(sp.N(gelu_exact.subs(t, sp.Integer(v)), 30)) for v in (-2, 0, 3)]
    np.testing.assert_allclose(gelu(z), expected, rtol=1e-14)


def report(number: str, **answers) -> str:
    """The learner's feedback for ``answers`` (NumPy's overflow warnings silenced:
    a wrong answer is allowed to overflow)."""
    with np.errstate(all="ignore"):
        return evaluate(number, answers).report()


def passes(number: str, **answers) -> bool:
    with np.errstate(all="ignore"):
        return evaluate(number, answers).passed


# ---------------------------------------------------------------------------
# 3.1 log-sum-exp


def good_logsumexp(Z):
    top = np.max(Z, axis=-1, keepdims=True)
    return np.squeeze(top, axis=-1) + np.log(np.sum(np.exp(Z - top), axis=-1))


def test_logsumexp_reference_matches_sympy_on_large_scores():
    for row in ([1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0], [2.0, 1.0, 0.5]):
        exact = sp.log(sum(sp.exp(sp.Rational(str(v))) for v in row))
        assert ch03._logsumexp(np.array(row)) == pytest.approx(
            float(sp.N(exact, 30)), rel=1e-14
        )


def test_a_correct_logsumexp_passes():
    assert passes("3.1", logsumexp=good_logsumexp)


def test_logsumexp_without_the_max_shift_is_rejected_with_a_hint():
    def logsumexp(Z):
        return np.log(np.sum(np.exp(Z), axis=-1))

    text = report("3.1", logsumexp=logsumexp)
    assert "NOT YET - 0/2" in text
    assert "logsumexp(Z=[1000, 999, 998])" in text and "obtained inf" in text
    assert "subtract each row's largest score" in text


def test_logsumexp_along_the_wrong_axis_is_rejected_even_for_a_square_batch():
    def logsumexp(Z):
        top = np.max(Z, axis=0, keepdims=True)
        return np.squeeze(top, axis=0) + np.log(np.sum(np.exp(Z - top), axis=0))

    text = report("3.1", logsumexp=logsumexp)
    assert "NOT YET" in text
    assert "works down the columns (axis 0)" in text
    # the (3, 2) batch also fails on its shape
    assert "expected an array of shape (3,), got an array of shape (2,)" in text


def test_logsumexp_that_keeps_the_summed_axis_is_rejected_for_its_shape():
    def logsumexp(Z):
        top = np.max(Z, axis=-1, keepdims=True)
        return top + np.log(np.sum(np.exp(Z - top), axis=-1, keepdims=True))

    text = report("3.1", logsumexp=logsumexp)
    assert "NOT YET" in text
    assert "expected a single number, got an array of shape (1,)" in text
    assert "Drop keepdims=True" in text


def test_logsumexp_that_forgets_to_add_the_max_back_is_rejected():
    def logsumexp(Z):
        top = np.max(Z, axis=-1, keepdims=True)
        return np.log(np.sum(np.exp(Z - top), axis=-1))

    assert "never added back" in report("3.1", logsumexp=logsumexp)


def test_logsumexp_shifted_by_the_batch_max_is_rejected():
    def logsumexp(Z):
        top = np.max(Z)
        return top + np.log(np.sum(np.exp(Z - top), axis=-1))

    text = report("3.1", logsumexp=logsumexp)
    assert "NOT YET" in text and "Subtract each row's own max" in text


def test_logsumexp_shifted_by_the_mean_is_rejected():
    def logsumexp(Z):
        centre = np.mean(Z, axis=-1, keepdims=True)
        return np.squeeze(centre, axis=-1) + np.log(np.sum(np.exp(Z - centre), axis=-1))

    text = report("3.1", logsumexp=logsumexp)
    assert "NOT YET" in text and "subtracting the mean guarantees nothing" in text


def test_a_right_logsumexp_written_as_a_loop_over_rows_passes():
    def logsumexp(Z):
        rows = np.atleast_2d(Z)
        out = np.array([r.max() + np.log(np.exp(r - r.max()).sum()) for r in rows])
        return out if Z.ndim == 2 else out[0]

    assert passes("3.1", logsumexp=logsumexp)


# ---------------------------------------------------------------------------
# 3.2 swish slope


def test_swish_slope_reference_is_sympys_derivative_and_matches_finite_differences():
    z, beta = sp.symbols("z beta", real=True)
    swish = z / (1 + sp.exp(-beta * z))
    exact = sp.lambdify((z, beta), sp.diff(swish, z), "numpy")
    rng = np.random.default_rng(0)
    for b in (0.5, 1.0, 1.7, 2.0):
        points = rng.normal(scale=3.0, size=50)
        np.testing.assert_allclose(
            ch03._swish_slope(points, b), exact(points, b), rtol=1e-12, atol=1e-15
        )
        h = 1e-6
        numeric = (
            (points + h) / (1 + np.exp(-b * (points + h)))
            - (points - h) / (1 + np.exp(-b * (points - h)))
        ) / (2 * h)
        np.testing.assert_allclose(ch03._swish_slope(points, b), numeric, rtol=1e-6)


def test_a_correct_swish_slope_passes():
    def swish_slope(z, beta):
        s = 1 / (1 + np.exp(-beta * z))
        return s + beta * z * s * (1 - s)

    assert passes("3.2", swish_slope=swish_slope)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda z, beta: 1 / (1 + np.exp(-beta * z)), "the product rule adds"),
        (
            lambda z, beta: beta * z * (s := 1 / (1 + np.exp(-beta * z))) * (1 - s),
            "only the second term",
        ),
        (
            lambda z, beta: (s := 1 / (1 + np.exp(-beta * z))) + z * s * (1 - s),
            "inner factor is missing",
        ),
        (
            lambda z, beta: (s := 1 / (1 + np.exp(-z))) + beta * z * s * (1 - s),
            "sigma is evaluated at z",
        ),
        (lambda z, beta: z / (1 + np.exp(-beta * z)), "swish itself"),
    ],
    ids=[
        "no product rule",
        "first term missing",
        "no inner beta",
        "sigma(z)",
        "the function",
    ],
)
def test_plausible_wrong_swish_slopes_are_rejected_with_their_hint(wrong, hint):
    text = report("3.2", swish_slope=wrong)
    assert "NOT YET" in text and hint in text


# ---------------------------------------------------------------------------
# 3.3 log-softmax Jacobian


def test_log_softmax_jacobian_reference_is_sympys_jacobian():
    zs = sp.symbols("z_0:4", real=True)
    lse = sp.log(sum(sp.exp(v) for v in zs))
    log_p = sp.Matrix([[v - lse for v in zs]])
    exact = sp.lambdify(zs, log_p.jacobian(zs), "numpy")
    point = np.array([-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(
        ch03._log_softmax_jacobian(point), exact(*point), rtol=1e-12, atol=1e-15
    )
    assert not np.allclose(
        ch03._log_softmax_jacobian(point), ch03._log_softmax_jacobian(point).T
    )


def test_a_correct_log_softmax_jacobian_passes():
    def log_softmax_jacobian(z):
        p = np.exp(z - z.max())
        p /= p.sum()
        return np.eye(len(z)) - np.outer(np.ones(len(z)), p)

    assert passes("3.3", log_softmax_jacobian=log_softmax_jacobian)


def _stable_p(z):
    p = np.exp(z - z.max())
    return p / p.sum()


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda z: np.eye(len(z)) - _stable_p(z)[:, None], "this is the transpose"),
        (
            lambda z: np.diag(_stable_p(z)) - np.outer(_stable_p(z), _stable_p(z)),
            "this is the Jacobian of softmax",
        ),
        (lambda z: -np.tile(_stable_p(z), (len(z), 1)), "identity matrix) is missing"),
        (lambda z: _stable_p(z)[None, :] - np.eye(len(z)), "the sign is flipped"),
        (lambda z: np.diag(1 - _stable_p(z)), "only the diagonal"),
        (
            lambda z: np.eye(len(z)) - (np.exp(z) / np.exp(z).sum())[None, :],
            "the softmax inside overflowed",
        ),
    ],
    ids=[
        "transposed",
        "softmax jacobian",
        "no identity",
        "sign",
        "diagonal only",
        "naive softmax",
    ],
)
def test_plausible_wrong_log_softmax_jacobians_are_rejected_with_their_hint(
    wrong, hint
):
    text = report("3.3", log_softmax_jacobian=wrong)
    assert "NOT YET" in text and hint in text


# ---------------------------------------------------------------------------
# 3.4 predictions


def simulated_chain(f, f_prime, x, w, b, depth=10):
    a, gradient = x, 1.0
    for _ in range(depth):
        z = w * a + b
        gradient *= w * f_prime(z)
        a = f(z)
    return gradient


def test_the_expected_predictions_are_what_the_chains_really_give():
    relu_ = (lambda z: max(z, 0.0), lambda z: float(z > 0))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    leaky = (lambda z: z if z > 0 else 0.01 * z, lambda z: 1.0 if z > 0 else 0.01)
    simulated = [
        simulated_chain(*relu_, 1.0, 1.5, 0.0),
        simulated_chain(*relu_, 1.0, -1.0, 0.0),
        simulated_chain(sig, lambda z: sig(z) * (1 - sig(z)), 0.5, 8.0, -4.0),
        simulated_chain(*leaky, 1.0, -1.0, 0.0),
    ]
    expected = [exact for _, exact, _ in ch03._CHAINS]
    np.testing.assert_allclose(simulated, expected, rtol=1e-12, atol=1e-300)


def test_right_predictions_pass_as_a_list_or_a_tuple():
    right = [1.5**10, 0, 2**10, 1e-10]
    assert passes("3.4", chain_predictions=right)
    assert passes("3.4", chain_predictions=tuple(right))


@pytest.mark.parametrize(
    "item, wrong, hint",
    [
        (0, 1.0, "each factor is w * f'(z) = 1.5"),
        (0, 15.0, "multiply; they do not add"),
        (1, 1.0, "(-1)^10 = 1 forgets the ReLU"),
        (2, 0.25**10, "the weight 8 counts"),
        (2, 8.0**10, "sigma'(0) = 1/4"),
        (3, 1e-20, "not every z is negative"),
        (3, 0.0, "never 0"),
        (3, -1e-10, "check the sign"),
    ],
)
def test_plausible_wrong_predictions_are_rejected_with_their_hint(item, wrong, hint):
    predictions = [1.5**10, 0.0, 2.0**10, 1e-10]
    predictions[item] = wrong
    text = report("3.4", chain_predictions=predictions)
    assert "NOT YET - 0/2" in text
    assert "1 of 4 predictions are wrong" in text and hint in text


def test_right_predictions_pass_as_a_numpy_array():
    right = np.array([1.5**10, 0.0, 2.0**10, 0.01**5])
    assert passes("3.4", chain_predictions=right)


def test_predictions_of_the_wrong_length_or_type_are_rejected():
    assert "a list of 4 numbers" in report("3.4", chain_predictions=[1.0, 2.0])
    assert "expected a finite number" in report(
        "3.4", chain_predictions=[1.5**10, "zero", 1024.0, 1e-10]
    )


# ---------------------------------------------------------------------------
# 3.5 the bump from ReLUs


def test_any_correct_hat_design_passes():
    assert passes("3.5", hat_terms=[(1.0, -1.0), (-2.0, 0.0), (1.0, 1.0)])
    assert passes("3.5", hat_terms=[[1, 1], [-2, 0], [1, -1]])  # any order
    # a redundant but right design: two half-weight copies of the middle ReLU
    assert passes("3.5", hat_terms=[(1, -1), (-1, 0), (-1, 0), (1, 1)])


@pytest.mark.parametrize(
    "terms, hint",
    [
        ([(1, -1), (-1, 0), (1, 1)], "coefficients must add up to 0"),  # forgot the 2
        ([(1, -1), (-2, 0)], "coefficients must add up to 0"),  # no third ReLU
        ([(-1, 1), (0, -2), (1, 1)], "each pair is (coefficient, knot)"),
        ([(1, -1), (-2, 0.5), (1, 2)], "The bump's slope goes 0, then +1"),
    ],
    ids=["factor 2 missing", "third ReLU missing", "pairs swapped", "wrong knots"],
)
def test_plausible_wrong_hat_designs_are_rejected_with_their_hint(terms, hint):
    text = report("3.5", hat_terms=terms)
    assert "NOT YET - 0/2" in text and hint in text
    assert "expected" in text and "obtained" in text


def test_hat_design_with_an_extra_relu_beyond_the_grid_is_rejected():
    # the bump plus ReLU(z - 6): right on [-4, 4], wrong for every z > 6
    text = report("3.5", hat_terms=[(1, -1), (-2, 0), (1, 1), (1, 6)])
    assert "NOT YET - 0/2" in text and "z = 7: expected 0, obtained 1" in text
    # and two far-left terms that cancel only from z = -5 on
    assert not passes("3.5", hat_terms=[(1, -1), (-2, 0), (1, 1), (1, -6), (-1, -5)])


def test_hat_answers_that_are_not_pairs_are_rejected_clearly():
    assert "pair of two finite numbers" in report("3.5", hat_terms=[(1, 2, 3)])
    assert "list of 1 to 10 pairs" in report("3.5", hat_terms=[])


# ---------------------------------------------------------------------------
# 3.6 the stable scale


def test_the_accepted_range_of_stable_scales_brackets_he_initialization():
    assert ch03._STABLE_LOW < 2.0 < ch03._STABLE_HIGH
    assert passes("3.6", stable_scale=2.0)
    assert passes("3.6", stable_scale=2.1)


def test_a_stable_scale_computed_with_numpy_passes():
    assert passes("3.6", stable_scale=np.float64(2.0))
    assert passes("3.6", stable_scale=np.array(2.0))
    assert not passes("3.6", stable_scale=np.array([2.0, 3.0]))


@pytest.mark.parametrize(
    "s2, hint",
    [(1.0, "still shrinks"), (4.0, "still grows"), (1.5, "still shrinks")],
)
def test_unstable_scales_are_rejected(s2, hint):
    text = report("3.6", stable_scale=s2)
    assert "NOT YET - 0/2" in text and hint in text


def test_an_experiment_like_the_solutions_finds_a_scale_the_check_accepts():
    def log_length(s2, seed, depth=30, width=200):
        rng = np.random.default_rng(seed)
        a, direction = rng.normal(size=width), rng.normal(size=width)
        direction /= np.linalg.norm(direction)
        for _ in range(depth):
            W = rng.normal(scale=np.sqrt(s2 / width), size=(width, width))
            Z = a @ W
            direction = (direction @ W) * (Z > 0)
            a = np.maximum(Z, 0.0)
        return np.log(np.linalg.norm(direction))

    # other seeds than the solution's, and only five of them, as the text asks
    scales = np.round(np.arange(1.0, 4.01, 0.1), 1)
    mean_logs = [np.mean([log_length(s2, 100 + k) for k in range(5)]) for s2 in scales]
    found = float(scales[np.argmin(np.abs(mean_logs))])
    assert passes("3.6", stable_scale=found), found


def test_every_exercise_of_chapter_3_has_a_title_and_points():
    for number in ("3.1", "3.2", "3.3", "3.4", "3.5", "3.6"):
        exercise = get(number)
        assert exercise.title and exercise.points >= 2


# ---------------------------------------------------------------------------
# nnbook.symbolic, as chapter 3 uses it


def test_tidy_prints_a_derivative_as_an_italic_f_prime():
    x, w, b, z = sp.symbols("x w b z", real=True)
    f = sp.Function("f")
    tidied = tidy(sp.diff(f(f(w * x + b)), x), names={w * x + b: z})
    text = sp.latex(tidied)
    assert r"\operatorname" not in text
    assert r"f'\left(z\right)" in text and r"f'\left(f{\left(z \right)}\right)" in text
    assert str(tidied) == "w*f'(z)*f'(f(z))"
    # the same f' twice is one function: its square prints with a power
    square = tidy(sp.diff(f(2 * x), x) ** 2)
    assert sp.latex(square) == r"4 \left(f'\left(2 x\right)\right)^{2}"
    second = sp.latex(tidy(sp.diff(sp.Function("sigma")(x**2), x, 2)))
    assert r"\sigma''\left(x^{2}\right)" in second
    # by a symbol, SymPy writes d f(z) / dz; the book writes f'(z)
    assert sp.latex(tidy(sp.diff(f(z), z))) == r"f'\left(z\right)"
    assert sp.latex(tidy(sp.diff(f(z), z, 2))) == r"f''\left(z\right)"


def test_partial_writes_a_repeated_variable_as_a_power():
    z = sp.Symbol("z")
    assert sp.latex(partial(r"\sigma", z, z)) == (
        r"\frac{\partial^{2} \sigma}{\partial z^{2}}"
    )
    assert sp.latex(partial("L", "x", "y")) == (
        r"\frac{\partial^{2} L}{\partial x \partial y}"
    )
    assert sp.latex(partial("C", "w_1")) == r"\frac{\partial C}{\partial w_1}"

"""Chapter 5: plausible wrong answers are rejected with a useful hint, right ones
written differently pass, and gradient_descent saved into nnbook.nn is exact."""

from __future__ import annotations

import math

import numpy as np

from nnbook.exercises import evaluate
from nnbook.exercises.ch05 import MINIBATCHES, STOPPING_RULE
from nnbook.nn import gradient_descent


def report_of(number, name, answer):
    with np.errstate(all="ignore"):
        verdict = evaluate(number, {name: answer})
    assert not verdict.passed, verdict.report()
    return verdict.report()


# 5.1 Predict the best learning rate and the step count -----------------------


def prediction(lr_of, count="ceil"):
    def predict_lr_and_steps(H, w0, w_star, tol):
        lam = np.linalg.eigvalsh(H)
        lr = lr_of(H, lam)
        rate = np.max(np.abs(1 - lr * lam))
        d0 = np.linalg.norm(w0 - w_star)
        if d0 <= tol:
            return lr, 0
        if rate == 0:
            return lr, 1
        if count == "squared":
            rate = rate**2
        t = math.log(tol / d0) / math.log(rate)
        return lr, (math.floor(t) if count == "floor" else math.ceil(t))

    return predict_lr_and_steps


def best(H, lam):
    return 2 / (lam.min() + lam.max())


def test_prediction_from_the_eigenvalues_passes():
    assert evaluate("5.1", {"predict_lr_and_steps": prediction(best)}).passed


def test_prediction_with_one_over_lambda_max_is_rejected():
    answer = prediction(lambda H, lam: 1 / lam.max())
    assert "never overshoots" in report_of("5.1", "predict_lr_and_steps", answer)


def test_prediction_with_the_stability_limit_is_rejected():
    answer = prediction(lambda H, lam: 2 / lam.max())
    report = report_of("5.1", "predict_lr_and_steps", answer)
    # at the limit the rate is 1: the learner's log(rate) divides by zero
    assert "6 of 6 cases" in report and "ZeroDivisionError" in report


def test_prediction_with_the_trace_works_for_two_weights_only():
    answer = prediction(lambda H, lam: 2 / np.trace(H))
    report = report_of("5.1", "predict_lr_and_steps", answer)
    assert "2 of 6 cases gave a wrong result" in report  # the two 3-weight cases
    assert "only for two weights" in report


def test_prediction_from_the_diagonal_is_rejected():
    answer = prediction(lambda H, lam: 2 / (np.diag(H).min() + np.diag(H).max()))
    assert "the diagonal of H" in report_of("5.1", "predict_lr_and_steps", answer)


def test_step_count_from_the_loss_ratio_is_rejected():
    answer = prediction(best, count="squared")
    assert "its square is the loss" in report_of("5.1", "predict_lr_and_steps", answer)


def test_step_count_of_an_actual_run_is_not_the_predicted_bound():
    def predict_lr_and_steps(H, w0, w_star, tol):
        lam = np.linalg.eigvalsh(H)
        lr = 2 / (lam.min() + lam.max())
        w, steps = np.array(w0, dtype=float), 0
        while np.linalg.norm(w - w_star) > tol:
            w, steps = w - lr * (w - w_star) @ H, steps + 1
        return lr, steps

    report = report_of("5.1", "predict_lr_and_steps", predict_lr_and_steps)
    assert "1 of 6 cases gave a wrong result" in report
    assert "counts the steps of an actual run" in report


def test_step_count_from_a_logarithm_of_a_zero_rate_is_diagnosed():
    def predict_lr_and_steps(H, w0, w_star, tol):
        lam = np.linalg.eigvalsh(H)
        lr = 2 / (lam.min() + lam.max())
        rate = (lam.max() - lam.min()) / (lam.max() + lam.min())
        d0 = np.linalg.norm(w0 - w_star)
        with np.errstate(divide="ignore"):
            t = np.log(tol / d0) / np.log(rate)  # rate 0: -x / -inf = 0
        return lr, max(0, int(np.ceil(t)))

    report = report_of("5.1", "predict_lr_and_steps", predict_lr_and_steps)
    assert "1 of 6 cases gave a wrong result" in report
    assert "log(0) = -inf" in report


def test_step_count_rounded_down_is_one_short():
    answer = prediction(best, count="floor")
    assert "one short" in report_of("5.1", "predict_lr_and_steps", answer)


def test_predicted_step_count_is_what_gradient_descent_takes_on_two_weights():
    # two eigenvalues: at the best rate both factors have size rate, so the
    # distance after t steps is exactly rate**t * d0 and the prediction is exact
    H, tol = np.diag([1.0, 10.0]), 1e-6
    w_star, w0 = np.array([1.0, 0.5]), np.array([-3.0, 2.0])
    lr, steps = prediction(best)(H, w0, w_star, tol)
    path = gradient_descent(lambda w: (w - w_star) @ H, w0, lr, steps)
    distances = np.linalg.norm(path - w_star, axis=1)
    assert distances[-1] <= tol < distances[-2]


# 5.2 Exact line search ----------------------------------------------------------


def line_search(rule):
    def line_search_lr(H, w, w_star):
        g = (w - w_star) @ H
        return rule(g, H, w - w_star)

    return line_search_lr


def test_line_search_derived_right_passes():
    answer = line_search(lambda g, H, d: (g @ g) / (g @ H @ g))
    assert evaluate("5.2", {"line_search_lr": answer}).passed


def test_line_search_upside_down_is_rejected():
    answer = line_search(lambda g, H, d: (g @ H @ g) / (g @ g))
    assert "upside down" in report_of("5.2", "line_search_lr", answer)


def test_line_search_along_the_distance_instead_of_the_gradient_is_rejected():
    answer = line_search(lambda g, H, d: (d @ d) / (d @ H @ d))
    assert "in place of the gradient" in report_of("5.2", "line_search_lr", answer)


def test_line_search_twice_too_long_is_rejected():
    answer = line_search(lambda g, H, d: 2 * (g @ g) / (g @ H @ g))
    assert "halfway there" in report_of("5.2", "line_search_lr", answer)


def test_line_search_with_one_over_lambda_max_is_rejected():
    answer = line_search(lambda g, H, d: 1 / np.linalg.eigvalsh(H).max())
    assert "safe step for every direction" in report_of("5.2", "line_search_lr", answer)


# 5.3 Mini-batches ----------------------------------------------------------------


def test_unshuffled_or_balanced_minibatches_are_diagnosed():
    def unshuffled(n, batch_size, seed):
        return [np.arange(n)[i : i + batch_size] for i in range(0, n, batch_size)]

    def balanced(n, batch_size, seed):
        order = np.random.default_rng(seed).permutation(n)
        return np.array_split(order, -(-n // batch_size))

    assert "not shuffled" in report_of("5.3", "minibatch_indices", unshuffled)
    assert "nearly equal size" in report_of("5.3", "minibatch_indices", balanced)


def test_minibatches_that_drop_the_last_batch_are_diagnosed():
    def minibatch_indices(n, batch_size, seed):
        order = np.random.default_rng(seed).permutation(n)
        full = range(0, n - batch_size + 1, batch_size)
        return [order[i : i + batch_size] for i in full]

    report = report_of("5.3", "minibatch_indices", minibatch_indices)
    assert "last, smaller batch is missing" in report


def test_minibatches_shuffled_by_the_legacy_global_generator_are_diagnosed():
    def minibatch_indices(n, batch_size, seed):
        np.random.seed(seed)
        order = np.random.permutation(n)
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]

    state = np.random.get_state()
    try:
        report = report_of("5.3", "minibatch_indices", minibatch_indices)
    finally:
        np.random.set_state(state)
    assert "old global generator" in report


def test_minibatches_shuffled_with_rng_shuffle_are_accepted():
    # rng.permutation(n) and shuffling np.arange(n) in place give the same order
    def minibatch_indices(n, batch_size, seed):
        order = np.arange(n)
        np.random.default_rng(seed).shuffle(order)
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]

    assert evaluate("5.3", {"minibatch_indices": minibatch_indices}).passed


def test_reference_minibatches_hold_every_index_once_with_only_the_last_smaller():
    for case in MINIBATCHES.cases:
        n, batch_size, _ = case.args
        batches = MINIBATCHES.reference(*case.args)
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))
        assert all(len(batch) == batch_size for batch in batches[:-1])
        assert 1 <= len(batches[-1]) <= batch_size


# 5.4 The loss-floor experiment ------------------------------------------------------


def floor_exponents(seeds=range(5), batch_sizes=(1, 2, 5, 10, 20)):
    """The protocol of exercise 5.4, as written: with replacement, the generator
    draws only integers(0, m, B) (no permutation each epoch)."""
    rng = np.random.default_rng(seed=5)
    m = 100
    x = rng.uniform(-1, 3, size=m)
    y = 2.0 * x - 1.0 + rng.normal(scale=0.5, size=m)
    X1 = np.column_stack([x, np.ones(m)])
    theta_star = np.linalg.lstsq(X1, y, rcond=None)[0]

    def loss(theta):
        return 0.5 * np.mean((X1 @ theta - y) ** 2)

    def floor(B, seed, replace):
        gen = np.random.default_rng(seed)
        theta, excess = theta_star.copy(), []
        for epoch in range(30):
            order = None if replace else gen.permutation(m)
            for start in range(0, m, B):
                batch = gen.integers(0, m, B) if replace else order[start : start + B]
                error = X1[batch] @ theta - y[batch]
                theta = theta - 0.05 * X1[batch].T @ error / len(batch)
                if epoch >= 5:
                    excess.append(loss(theta) - loss(theta_star))
        return np.mean(excess)

    sizes = np.array(batch_sizes)
    return tuple(
        np.polyfit(
            np.log(sizes),
            np.log([np.mean([floor(B, s, replace) for s in seeds]) for B in sizes]),
            1,
        )[0]
        for replace in (True, False)
    )


def test_the_experiment_as_specified_passes_with_other_seeds_too():
    exponents = floor_exponents(seeds=range(10, 15))
    assert evaluate("5.4", {"exponents": exponents}).passed


def test_exponents_that_are_swapped_are_rejected():
    report = report_of("5.4", "exponents", (-1.49, -1.01))
    assert "look swapped" in report


def test_exponent_with_the_wrong_sign_is_rejected():
    assert "higher* floor" in report_of("5.4", "exponents", (1.0, 1.5))


def test_exponents_fitted_against_b_instead_of_log_b_are_rejected():
    # a slope of log(floor) against B itself is about -0.15 here
    report = report_of("5.4", "exponents", (-0.16, -0.24))
    assert "should lie in [-1.25, -0.8]" in report


def test_exponents_mixing_log10_and_ln_are_rejected():
    report_of("5.4", "exponents", (-1.01 / np.log(10), -1.49 / np.log(10)))


def test_exponents_that_are_not_a_pair_are_rejected():
    assert "pair of numbers" in report_of("5.4", "exponents", -1.0)


# 5.5 The stopping rule -----------------------------------------------------------


def stopping_rule(classify, count_checks=False, watch_divergence=True):
    def descend_and_classify(H, w_star, w0, lr, tol, max_steps):
        w = np.array(w0, dtype=float)
        for t in range(max_steps + 1):
            g = (w - w_star) @ H
            reported = t + 1 if count_checks else t
            if np.linalg.norm(g) <= tol:
                return reported, classify(H)
            if watch_divergence and np.linalg.norm(w - w_star) > 1e6:
                return reported, "diverged"
            if t < max_steps:
                w = w - lr * g
        return max_steps + (1 if count_checks else 0), "not converged"

    return descend_and_classify


def by_eigenvalues(H):
    return "minimum" if np.linalg.eigvalsh(H).min() >= 0 else "saddle"


def test_stopping_rule_written_as_a_for_loop_passes():
    answer = stopping_rule(by_eigenvalues)
    assert evaluate("5.5", {"descend_and_classify": answer}).passed


def test_stopping_rule_that_calls_every_stop_a_minimum_is_rejected():
    answer = stopping_rule(lambda H: "minimum")
    report = report_of("5.5", "descend_and_classify", answer)
    assert "at a saddle the gradient vanishes too" in report


def test_stopping_rule_that_reads_curvature_off_the_diagonal_is_rejected():
    answer = stopping_rule(lambda H: "minimum" if np.diag(H).min() >= 0 else "saddle")
    report = report_of("5.5", "descend_and_classify", answer)
    assert "1 of 8 cases gave a wrong result" in report
    assert "positive diagonal and the eigenvalue -1" in report


def test_stopping_rule_that_calls_a_flat_direction_a_saddle_is_rejected():
    answer = stopping_rule(
        lambda H: "minimum" if np.linalg.eigvalsh(H).min() > 0 else "saddle"
    )
    report = report_of("5.5", "descend_and_classify", answer)
    assert "1 of 8 cases gave a wrong result" in report
    assert "an eigenvalue of exactly 0 is a flat direction" in report


def test_stopping_rule_that_counts_checks_instead_of_updates_is_rejected():
    answer = stopping_rule(by_eigenvalues, count_checks=True)
    assert "one too many" in report_of("5.5", "descend_and_classify", answer)


def test_stopping_rule_that_never_detects_divergence_is_rejected():
    answer = stopping_rule(by_eigenvalues, watch_divergence=False)
    report = report_of("5.5", "descend_and_classify", answer)
    assert "must be stopped and named" in report


def test_reference_stopping_rule_stops_at_the_saddle_only_on_its_attracting_line():
    verdicts = [STOPPING_RULE.reference(*case.args)[1] for case in STOPPING_RULE.cases]
    assert verdicts.count("saddle") == 2
    assert verdicts.count("diverged") == 2


# The code saved into nnbook.nn --------------------------------------------------------


def test_saved_gradient_descent_follows_the_closed_form_on_a_quadratic():
    curvature, w_star, w0 = 4.0, 1.5, -1.0
    for lr in [0.05, 0.25, 0.4, 0.55]:
        path = gradient_descent(lambda w: curvature * (w - w_star), w0, lr, steps=8)
        expected = w_star + (1 - lr * curvature) ** np.arange(9) * (w0 - w_star)
        np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)


def test_saved_gradient_descent_returns_the_start_and_does_not_modify_it():
    w0 = np.array([1.0, 2.0])
    path = gradient_descent(lambda w: w, w0, 0.5, steps=0)
    assert path.shape == (1, 2)
    gradient_descent(lambda w: w, w0, 0.5, steps=3)
    assert w0.tolist() == [1.0, 2.0]

"""Chapter 5's checks: plausible wrong answers fail with feedback that helps."""

from __future__ import annotations

import numpy as np

from nnbook.exercises import evaluate
from nnbook.exercises.ch05 import MINIBATCHES
from nnbook.nn import gradient_descent


def test_gradient_step_that_climbs_is_told_to_subtract():
    def gradient_step(w, grad, lr):
        return w + lr * grad

    report = evaluate("5.1", {"gradient_step": gradient_step}).report()
    assert "NOT YET - 0/1" in report
    assert "gradient descent subtracts" in report


def test_gradient_step_without_the_learning_rate_is_diagnosed():
    report = evaluate("5.1", {"gradient_step": lambda w, grad, lr: w - grad}).report()
    assert "learning rate seems to be missing" in report


def test_path_without_the_start_names_the_expected_shape_and_the_cause():
    def quadratic_descent_path(H, w_star, w0, lr, steps):
        w, path = np.array(w0, float), []
        for _ in range(steps):
            w = w - lr * H @ (w - w_star)
            path.append(w)
        return np.array(path)

    answers = {"quadratic_descent_path": quadratic_descent_path}
    report = evaluate("5.2", answers).report()
    assert "expected an array of shape (6, 1), got an array of shape (5, 1)" in report
    assert "starting point w0 seems to be missing" in report


def test_path_with_the_gradient_measured_from_the_origin_is_diagnosed():
    def quadratic_descent_path(H, w_star, w0, lr, steps):
        path = [np.array(w0, float)]
        for _ in range(steps):
            path.append(path[-1] - lr * H @ path[-1])
        return np.array(path)

    answers = {"quadratic_descent_path": quadratic_descent_path}
    report = evaluate("5.2", answers).report()
    assert "not H @ w: measure from the minimiser" in report


def test_stable_rate_of_one_over_lambda_max_is_told_it_is_half_the_limit():
    def max_stable_lr(H):
        return 1 / np.linalg.eigvalsh(H).max()

    verdict = evaluate("5.3", {"max_stable_lr": max_stable_lr})
    assert verdict.status == "failed"
    report = verdict.report()
    assert "max_stable_lr(H=[[4]])" in report and "expected 0.5" in report
    assert "obtained 0.25" in report
    assert "twice that, 2 / lambda_max" in report


def test_stable_rate_from_the_diagonal_passes_diagonal_cases_but_not_rotated_ones():
    verdict = evaluate("5.3", {"max_stable_lr": lambda H: 2 / np.max(np.diag(H))})
    report = verdict.report()
    assert "2 of 5 cases gave a wrong result." in report
    assert "only when H is diagonal" in report


def test_gradient_without_the_mean_or_with_the_two_is_diagnosed():
    def summed(X, y, w, b):
        error = X @ w + b - y
        return X.T @ error, np.sum(error)

    def doubled(X, y, w, b):
        error = X @ w + b - y
        return 2 * X.T @ error / len(y), 2 * np.mean(error)

    assert (
        "divide the sums by m"
        in evaluate("5.4", {"linear_regression_gradient": summed}).report()
    )
    assert (
        "the 2 from the square cancels"
        in evaluate("5.4", {"linear_regression_gradient": doubled}).report()
    )


def test_gradient_with_the_wrong_sign_is_diagnosed():
    def flipped(X, y, w, b):
        error = y - (X @ w + b)
        return X.T @ error / len(y), np.mean(error)

    report = evaluate("5.4", {"linear_regression_gradient": flipped}).report()
    assert "the error is y_hat - y, not y - y_hat" in report


def test_unshuffled_or_balanced_minibatches_are_diagnosed():
    def unshuffled(n, batch_size, seed):
        return [np.arange(n)[i : i + batch_size] for i in range(0, n, batch_size)]

    def balanced(n, batch_size, seed):
        order = np.random.default_rng(seed).permutation(n)
        return np.array_split(order, -(-n // batch_size))

    assert "not shuffled" in evaluate("5.5", {"minibatch_indices": unshuffled}).report()
    report = evaluate("5.5", {"minibatch_indices": balanced}).report()
    assert "nearly equal size" in report


def test_minibatches_shuffled_with_rng_shuffle_are_accepted():
    # rng.permutation(n) and shuffling np.arange(n) in place give the same order
    def minibatch_indices(n, batch_size, seed):
        order = np.arange(n)
        np.random.default_rng(seed).shuffle(order)
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]

    assert evaluate("5.5", {"minibatch_indices": minibatch_indices}).passed


def test_reference_minibatches_hold_every_index_once_with_only_the_last_smaller():
    for case in MINIBATCHES.cases:
        n, batch_size, _ = case.args
        batches = MINIBATCHES.reference(*case.args)
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))
        assert all(len(batch) == batch_size for batch in batches[:-1])
        assert 1 <= len(batches[-1]) <= batch_size


def test_saved_gradient_descent_follows_the_closed_form_on_a_quadratic():
    a, w_star, w0 = 4.0, 1.5, -1.0
    for lr in [0.05, 0.25, 0.4, 0.55]:
        path = gradient_descent(lambda w: a * (w - w_star), w0, lr, steps=8)
        expected = w_star + (1 - lr * a) ** np.arange(9) * (w0 - w_star)
        np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)


def test_saved_gradient_descent_returns_the_start_and_does_not_modify_it():
    w0 = np.array([1.0, 2.0])
    path = gradient_descent(lambda w: w, w0, 0.5, steps=0)
    assert path.shape == (1, 2)
    gradient_descent(lambda w: w, w0, 0.5, steps=3)
    assert w0.tolist() == [1.0, 2.0]

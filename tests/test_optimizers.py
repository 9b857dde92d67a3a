"""Chapter 7's optimizers (saved in nnbook.nn) follow their published algorithms.

Each test transcribes the algorithm as its paper writes it, one scalar loop per
step, and runs it beside the chapter's class for a thousand steps on a noisy,
non-quadratic objective with several parameter arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.nn import SGD, AdaGrad, Adam, RMSprop

STEPS = 1000


def gradient(w: np.ndarray, t: int) -> np.ndarray:
    """A deterministic, noisy, non-linear gradient (seeded by the step number)."""
    noise = np.random.default_rng(t).normal(size=w.shape)
    return np.sin(3 * w) + 0.5 * w**3 - 0.2 + 0.3 * noise


def start() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=(3, 2)), rng.normal(size=(2,))]


def run_class(optimizer) -> list[np.ndarray]:
    params = start()
    for t in range(1, STEPS + 1):
        optimizer.step(params, [gradient(p, t * 10 + i) for i, p in enumerate(params)])
    return params


def run_transcription(update) -> list[np.ndarray]:
    """``update(theta, g, state, t)`` returns the new theta, as the paper writes it."""
    params = start()
    states = [{} for _ in params]
    for t in range(1, STEPS + 1):
        params = [
            update(p.copy(), gradient(p, t * 10 + i), states[i], t)
            for i, p in enumerate(params)
        ]
    return params


def kingma_ba_algorithm_1(alpha, beta1, beta2, eps, l2=0.0):
    """Adam, Algorithm 1 of Kingma & Ba (2015); ``l2`` adds lambda*theta to g."""

    def update(theta, g, state, t):
        g = g + l2 * theta
        m = beta1 * state.get("m", 0.0) + (1 - beta1) * g  # biased first moment
        v = beta2 * state.get("v", 0.0) + (1 - beta2) * g**2  # biased second moment
        state["m"], state["v"] = m, v
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - alpha * m_hat / (np.sqrt(v_hat) + eps)

    return update


def loshchilov_hutter_algorithm_2(alpha, beta1, beta2, eps, lam, eta=1.0):
    """AdamW, Algorithm 2 of Loshchilov & Hutter (2019), schedule multiplier eta.

    The paper's decay term is eta * lam * theta; the chapter's class (like PyTorch)
    takes the decay per unit of learning rate, so lam = lr * weight_decay.
    """

    def update(theta, g, state, t):
        m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        v = beta2 * state.get("v", 0.0) + (1 - beta2) * g**2
        state["m"], state["v"] = m, v
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - eta * (alpha * m_hat / (np.sqrt(v_hat) + eps) + lam * theta)

    return update


def polyak_heavy_ball(lr, mu):
    def update(theta, g, state, t):
        v = mu * state.get("v", 0.0) - lr * g
        state["v"] = v
        return theta + v

    return update


def duchi_adagrad(lr, eps):
    def update(theta, g, state, t):
        state["G"] = state.get("G", 0.0) + g**2
        return theta - lr * g / (np.sqrt(state["G"]) + eps)

    return update


def tieleman_hinton_rmsprop(lr, rho, eps):
    def update(theta, g, state, t):
        state["r"] = rho * state.get("r", 0.0) + (1 - rho) * g**2
        return theta - lr * g / (np.sqrt(state["r"]) + eps)

    return update


CASES = {
    "plain SGD": (SGD(lr=0.01), polyak_heavy_ball(0.01, 0.0)),
    "heavy ball": (SGD(lr=0.01, momentum=0.9), polyak_heavy_ball(0.01, 0.9)),
    "AdaGrad": (AdaGrad(lr=0.1), duchi_adagrad(0.1, 1e-8)),
    "RMSprop": (RMSprop(lr=0.001, rho=0.9), tieleman_hinton_rmsprop(0.001, 0.9, 1e-8)),
    "Adam, defaults": (Adam(), kingma_ba_algorithm_1(0.001, 0.9, 0.999, 1e-8)),
    "Adam + L2": (
        Adam(lr=0.01, weight_decay=0.05),
        kingma_ba_algorithm_1(0.01, 0.9, 0.999, 1e-8, l2=0.05),
    ),
    "AdamW": (
        Adam(lr=0.01, weight_decay=0.05, decoupled=True),
        loshchilov_hutter_algorithm_2(0.01, 0.9, 0.999, 1e-8, lam=0.01 * 0.05),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_optimizer_matches_its_published_algorithm_over_many_steps(name):
    ours, paper = CASES[name]
    for mine, theirs in zip(run_class(ours), run_transcription(paper), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_adam_defaults_are_kingma_and_bas():
    adam = Adam()
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)


def test_nesterov_equals_the_look_ahead_form_for_shifted_parameters():
    """Sutskever et al. (2013): v <- mu v - lr grad(w + mu v), w <- w + v. The class
    sees the gradient at the shifted point w~ = w + mu v and must track w~."""
    lr, mu = 0.01, 0.9

    def grad(w):
        return np.sin(3 * w) + 0.5 * w**3

    w = start()[0]
    v = np.zeros_like(w)
    shifted = [w.copy()]  # w~ = w + mu v, with v = 0 at the start
    for _ in range(300):
        v = mu * v - lr * grad(w + mu * v)
        w = w + v
        shifted.append(w + mu * v)
    optimizer = SGD(lr=lr, momentum=mu, nesterov=True)
    params = [start()[0]]
    for step in range(300):
        optimizer.step(params, [grad(params[0])])
        np.testing.assert_allclose(params[0], shifted[step + 1], rtol=1e-10)


def test_sgd_l2_and_decoupled_decay_coincide_but_adam_l2_and_adamw_do_not():
    lr, decay = 0.01, 0.1
    sgd_l2 = run_class(SGD(lr=lr, weight_decay=decay))
    adam_l2 = run_class(Adam(lr=lr, weight_decay=decay))
    adamw = run_class(Adam(lr=lr, weight_decay=decay, decoupled=True))
    # SGD with decoupled decay, written out: w <- w - lr*decay*w - lr*g(w)
    params = start()
    for t in range(1, STEPS + 1):
        params = [
            p - lr * decay * p - lr * gradient(p, t * 10 + i)
            for i, p in enumerate(params)
        ]
    for a, b in zip(sgd_l2, params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    gap = max(np.max(np.abs(a - b)) for a, b in zip(adam_l2, adamw, strict=True))
    assert gap > 1e-3  # far beyond rounding: the two forms really differ

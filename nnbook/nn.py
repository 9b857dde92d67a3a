"""Neural-network code that later chapters reuse, copied from the chapters teaching it.

Each function here is the exact text of a chapter cell tagged ``nnbook-save``, and
its docstring names that chapter; ``tests/test_saved_code.py`` keeps the copies
identical. A chapter that needs an earlier chapter's code imports it from here
rather than writing it again.
"""

from __future__ import annotations

import numpy as np


def step(z):
    """1 where z >= 0, else 0 (chapter 1, Neurons and weights)."""
    return np.where(z >= 0, 1.0, 0.0)


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)) (chapter 1, Neurons and weights)."""
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    """max(z, 0), elementwise (chapter 1, Neurons and weights)."""
    return np.maximum(z, 0.0)


def boundary_line(w1, w2, b, edge):
    """Ends of the boundary w1*x1 + w2*x2 + b = 0 (chapter 1, Neurons and weights).

    ``edge`` holds the two ends of the plotted square's side. The line is solved
    for the input with the larger weight, so it never divides by a tiny number;
    with both weights zero there is no boundary, and the lists are empty.
    """
    if abs(w2) >= abs(w1) and w2 != 0:
        return edge, -(w1 * edge + b) / w2
    if w1 != 0:
        return -(w2 * edge + b) / w1, edge
    return [], []


def softmax(z, axis=-1):
    """Softmax along ``axis`` (chapter 3, Activation functions).

    Subtracting the maximum first changes nothing but keeps exp from overflowing.
    """
    shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def leaky_relu(z, alpha=0.01):
    """z where z > 0, alpha * z elsewhere (chapter 3, Activation functions)."""
    return np.where(z > 0, z, alpha * z)


def gelu(z):
    """Exact GELU, z * Phi(z) (chapter 3, Activation functions)."""
    from math import erf  # NumPy has no erf; the standard library's avoids SciPy

    erf_each = np.vectorize(erf, otypes=[float])
    return z * 0.5 * (1.0 + erf_each(np.divide(z, np.sqrt(2.0))))


def gradient_descent(grad, w0, lr, steps):
    """Run gradient descent from ``w0`` and return every point visited.

    Each of the ``steps`` updates is w <- w - lr * grad(w). The path, start
    included, has shape ``(steps + 1, *np.shape(w0))``
    (chapter 5, Gradient descent).
    """
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for _ in range(steps):
        w = w - lr * grad(w)
        path.append(w.copy())
    return np.array(path)


def dense(X, W, b):
    """Weighted sums Z = X @ W + b of a fully connected layer, one example per row
    (chapter 2, Layers and forward propagation)."""
    return X @ W + b


def count_parameters(layer_sizes):
    """Weights plus biases of a fully connected network, layer sizes inputs first
    (chapter 2, Layers and forward propagation)."""
    return sum(
        (layer_sizes[i] + 1) * layer_sizes[i + 1] for i in range(len(layer_sizes) - 1)
    )


def mse(y_hat, y):
    """Half mean squared error: the sum of (y_hat - y)**2 / 2 over the outputs,
    averaged over the m examples, one per row (chapter 4, Loss functions)."""
    return 0.5 * np.sum((y_hat - y) ** 2) / len(y)


def mse_grad(y_hat, y):
    """Gradient of mse with respect to y_hat: (y_hat - y) / m
    (chapter 4, Loss functions)."""
    return (y_hat - y) / len(y)


def binary_cross_entropy(y_hat, y, eps=1e-12):
    """Mean binary cross-entropy of probabilities y_hat for 0/1 targets y; y_hat is
    clipped to [eps, 1 - eps] first, so a prediction of exactly 0 or 1 gives a large
    but finite loss (chapter 4, Loss functions)."""
    y_hat = np.clip(y_hat, eps, 1 - eps)
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def log_softmax(z, axis=-1):
    """log(softmax(z)) as (z - max) - log(sum(exp(z - max))): no overflow and no
    log(0), even for very large or very negative scores
    (chapter 4, Loss functions)."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def one_hot(y, num_classes):
    """Integer labels y (m,), counted from 0, as one-hot rows (m, num_classes)
    (chapter 4, Loss functions)."""
    return np.eye(num_classes)[y]


def cross_entropy(Z, y):
    """Mean cross-entropy of scores Z (m, k) for integer labels y (m,), counted
    from 0; computed from log_softmax (chapter 4, Loss functions)."""
    log_probs = log_softmax(Z, axis=1)
    return -np.mean(log_probs[np.arange(len(y)), y])


def cross_entropy_grad(Z, y):
    """Gradient of cross_entropy with respect to the scores Z:
    (softmax(Z) - one_hot(y)) / m (chapter 4, Loss functions)."""
    return (softmax(Z, axis=1) - one_hot(y, Z.shape[1])) / len(y)

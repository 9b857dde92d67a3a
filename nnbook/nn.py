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
    """Integer labels y (m,), numbered from 0, as one-hot rows (m, num_classes)
    (chapter 4, Loss functions)."""
    return np.eye(num_classes)[y]


def cross_entropy(Z, y):
    """Mean cross-entropy of scores Z (m, K) for integer labels y (m,), numbered
    from 0; computed from log_softmax (chapter 4, Loss functions)."""
    log_probs = log_softmax(Z, axis=1)
    return -np.mean(log_probs[np.arange(len(y)), y])


def cross_entropy_grad(Z, y):
    """Gradient of cross_entropy with respect to the scores Z:
    (softmax(Z) - one_hot(y)) / m (chapter 4, Loss functions)."""
    return (softmax(Z, axis=1) - one_hot(y, Z.shape[1])) / len(y)


class Optimizer:
    """Updates a list of arrays in place from their gradients (chapter 7, Optimizers).

    Subclasses write ``update(state, w, g)`` for one array; ``state`` is a dict kept
    per array between steps, and ``self.t`` counts steps from 1.
    """

    def __init__(self, lr):
        self.lr = lr
        self.t = 0
        self.states = {}

    def step(self, params, grads):
        self.t += 1
        for index, (w, g) in enumerate(zip(params, grads, strict=True)):
            self.update(self.states.setdefault(index, {}), w, g)


class SGD(Optimizer):
    """SGD with optional heavy-ball or Nesterov momentum (chapter 7, Optimizers).

    ``weight_decay`` adds the L2 term ``weight_decay * w`` to the gradient.
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr)
        self.momentum, self.nesterov = momentum, nesterov
        self.weight_decay = weight_decay

    def update(self, state, w, g):
        g = g + self.weight_decay * w
        v = state.get("v", np.zeros_like(w))
        v = self.momentum * v - self.lr * g
        state["v"] = v
        w += self.momentum * v - self.lr * g if self.nesterov else v


class AdaGrad(Optimizer):
    """AdaGrad: per-parameter steps scaled by all past squared gradients (chapter 7,
    Optimizers)."""

    def __init__(self, lr=0.01, eps=1e-8):
        super().__init__(lr)
        self.eps = eps

    def update(self, state, w, g):
        state["s"] = state.get("s", np.zeros_like(w)) + g * g
        w -= self.lr * g / (np.sqrt(state["s"]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: steps scaled by a decaying average of squared gradients (chapter 7,
    Optimizers)."""

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8):
        super().__init__(lr)
        self.rho, self.eps = rho, eps

    def update(self, state, w, g):
        s = state.get("s", np.zeros_like(w))
        state["s"] = self.rho * s + (1 - self.rho) * g * g
        w -= self.lr * g / (np.sqrt(state["s"]) + self.eps)


class Adam(Optimizer):
    """Adam with bias correction; ``decoupled=True`` makes it AdamW (chapter 7,
    Optimizers).

    ``weight_decay`` is an L2 term added to the gradient, or with ``decoupled`` a
    shrinkage ``lr * weight_decay * w`` applied to the weights directly.
    """

    def __init__(
        self,
        lr=0.001,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=0.0,
        decoupled=False,
    ):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled

    def update(self, state, w, g):
        if self.decoupled:
            w -= self.lr * self.weight_decay * w
        else:
            g = g + self.weight_decay * w
        m = self.beta1 * state.get("m", 0.0) + (1 - self.beta1) * g
        v = self.beta2 * state.get("v", 0.0) + (1 - self.beta2) * g * g
        state["m"], state["v"] = m, v
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def activation_and_slope(name):
    """The activation called ``name`` ("relu", "sigmoid", "tanh" or "identity") and its
    derivative, as a pair of functions (chapter 6, Backpropagation)."""
    if name == "relu":
        return relu, lambda z: np.where(z > 0, 1.0, 0.0)
    if name == "sigmoid":
        return sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))
    if name == "tanh":
        return np.tanh, lambda z: 1.0 - np.tanh(z) ** 2
    if name == "identity":
        return (lambda z: z), np.ones_like
    raise ValueError(
        f"unknown activation {name!r}; use relu, sigmoid, tanh or identity"
    )


def dense_forward(A_prev, W, b, f):
    """A dense layer's forward step, A = f(A_prev @ W + b), one example per row.

    Returns A and the cache (A_prev, Z) that dense_backward needs
    (chapter 6, Backpropagation).
    """
    Z = A_prev @ W + b
    return f(Z), (A_prev, Z)


def dense_backward(dA, W, cache, f_prime):
    """A dense layer's backward step (chapter 6, Backpropagation).

    ``dA`` is dL/dA, shape (m, n_out); ``cache`` is (A_prev, Z) from dense_forward.
    Returns (dA_prev, dW, db), shaped like A_prev (m, n_in), W (n_in, n_out) and
    b (n_out,).
    """
    A_prev, Z = cache
    delta = dA * f_prime(Z)  # (m, n_out): BP1 at the output, BP2 below it
    dW = A_prev.T @ delta  # (n_in, m) @ (m, n_out): BP4
    db = delta.sum(axis=0)  # summed over the batch: BP3
    dA_prev = delta @ W.T  # (m, n_out) @ (n_out, n_in): BP2's product
    return dA_prev, dW, db


class MLP:
    """A fully connected network with a forward and a backward pass
    (chapter 6, Backpropagation).

    ``params`` is a list of (W, b) pairs, W of shape (n_in, n_out) and b of shape
    (n_out,), copied into the network; ``activations`` names each layer's activation
    (see activation_and_slope). ``forward(X)`` returns the output for a batch X, one
    example per row, and keeps what ``backward`` needs; ``backward(dY_hat)`` takes
    dL/dY_hat and returns the gradients [(dW, db), ...], one pair per layer.
    """

    def __init__(self, params, activations):
        if len(params) != len(activations):
            raise ValueError(f"{len(params)} layers but {len(activations)} activations")
        self.params = [
            (np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params
        ]
        self.activations = list(activations)
        self.layers = [activation_and_slope(name) for name in self.activations]
        self.caches = []

    def forward(self, X):
        A = np.asarray(X, dtype=float)
        self.caches = []
        for (W, b), (f, _) in zip(self.params, self.layers, strict=True):
            A, cache = dense_forward(A, W, b, f)
            self.caches.append(cache)
        return A

    def backward(self, dY_hat):
        if len(self.caches) != len(self.params):
            raise RuntimeError("call forward(X) before backward(dY_hat)")
        grads, dA = [], dY_hat
        for (W, _), (_, f_prime), cache in zip(
            self.params[::-1], self.layers[::-1], self.caches[::-1], strict=True
        ):
            dA, dW, db = dense_backward(dA, W, cache, f_prime)
            grads.append((dW, db))
        return grads[::-1]

    def step(self, grads, lr):
        """One step of gradient descent: each parameter moves by -lr * its gradient."""
        for (W, b), (dW, db) in zip(self.params, grads, strict=True):
            W -= lr * dW
            b -= lr * db


def numerical_gradient(loss, theta, h=1e-6):
    """Central-difference estimate of d loss() / d theta (chapter 6, Backpropagation).

    ``loss`` takes no arguments and reads the array ``theta``, which this function
    changes in place, one entry at a time, and restores. It calls ``loss`` twice per
    entry of ``theta``.
    """
    grad = np.zeros(theta.shape)
    for index in np.ndindex(theta.shape):
        saved = theta[index]
        theta[index] = saved + h
        up = loss()
        theta[index] = saved - h
        down = loss()
        theta[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||): 0 when the arrays agree, at most 1, and 0 when both
    are zero (chapter 6, Backpropagation)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def attention(Q, K, V, mask=None):
    """Scaled dot-product attention, one query per row (chapter 10, Attention).

    Q (n_q, d_k), K (n_k, d_k), V (n_k, d_v); ``mask`` (n_q, n_k) is True where a
    query may look. Returns the output (n_q, d_v) and the weights (n_q, n_k).
    """
    scores = Q @ K.T / np.sqrt(K.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ V, weights


def causal_mask(n):
    """True where position i may attend to position j, that is j <= i
    (chapter 10, Attention)."""
    return np.tril(np.ones((n, n), dtype=bool))


def multi_head_attention(X, W_Q, W_K, W_V, W_O, heads, mask=None):
    """Multi-head self-attention of X (n, d) with h = ``heads`` heads
    (chapter 10, Attention). Returns the output (n, d) and the weights
    (heads, n, n)."""
    n, d = X.shape
    d_k = d // heads

    def split(M):  # (n, d) -> (heads, n, d_k)
        return M.reshape(n, heads, d_k).transpose(1, 0, 2)

    Q, K, V = split(X @ W_Q), split(X @ W_K), split(X @ W_V)
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(d_k)  # (heads, n, n)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    heads_out = weights @ V  # (heads, n, d_k)
    concat = heads_out.transpose(1, 0, 2).reshape(n, d)
    return concat @ W_O, weights


def sinusoidal_positions(n, d):
    """Sinusoidal positional encodings, shape (n, d), d even (chapter 10,
    Attention)."""
    positions = np.arange(n)[:, None]
    rates = 1.0 / 10000 ** (np.arange(0, d, 2) / d)
    encoding = np.zeros((n, d))
    encoding[:, 0::2] = np.sin(positions * rates)
    encoding[:, 1::2] = np.cos(positions * rates)
    return encoding


def attention_backward(dO, Q, K, V, weights):
    """Gradients (dQ, dK, dV) of scaled dot-product attention, given dO = dL/dOutput
    (chapter 10, Attention)."""
    scale = 1.0 / np.sqrt(K.shape[-1])
    dV = weights.T @ dO
    dA = dO @ V.T
    dS = weights * (dA - (dA * weights).sum(axis=-1, keepdims=True))
    dQ = dS @ K * scale
    dK = dS.T @ Q * scale
    return dQ, dK, dV


def init_params(layer_sizes, rng, rule="he"):
    """Random weights and zero biases [(W, b), ...] for these layer sizes
    (chapter 8, Training a network in practice).

    Each W of shape (n_in, n_out) has independent normal entries of mean 0 and
    variance 2 / n_in (``rule="he"``, for ReLU layers) or 2 / (n_in + n_out)
    (``rule="xavier"``, for tanh, sigmoid and linear layers).
    """
    params = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        if rule == "he":
            variance = 2.0 / n_in
        elif rule == "xavier":
            variance = 2.0 / (n_in + n_out)
        else:
            raise ValueError(f"unknown rule {rule!r}; use 'he' or 'xavier'")
        W = rng.normal(0.0, np.sqrt(variance), (n_in, n_out))
        params.append((W, np.zeros(n_out)))
    return params


def minibatches(m, batch_size, rng):
    """One epoch's mini-batches: a random order of range(m) cut into index arrays of
    batch_size, the last one possibly smaller (chapter 8, Training a network in
    practice)."""
    order = rng.permutation(m)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


def inverted_dropout(A, p, rng):
    """Inverted dropout while training (chapter 8, Training a network in practice).

    Each entry of A is set to 0 with probability p and the others are divided by
    1 - p, so the output's expectation is A and nothing changes at test time.
    Returns the output and the mask (0 or 1 / (1 - p)) that the backward pass
    multiplies the incoming gradient by.
    """
    mask = (rng.random(A.shape) >= p) / (1.0 - p)
    return A * mask, mask


def train_epoch(params, activations, X, y, optimizer, batch_size, rng, p_drop=0.0):
    """One epoch of mini-batch training of a classifier (chapter 8, Training a
    network in practice).

    ``params`` [(W, b), ...] are updated in place by ``optimizer.step`` (chapter 7)
    after each batch. The last layer's activation is "identity": its outputs are
    the scores of softmax cross-entropy (chapter 4). The gradients come from
    chapter 6's dense_backward; with ``p_drop`` > 0 every hidden layer's output
    goes through inverted dropout.
    """
    layers = [activation_and_slope(name) for name in activations]
    flat = [array for pair in params for array in pair]
    last = len(params) - 1
    for batch in minibatches(len(X), batch_size, rng):
        A, caches, masks = X[batch], [], []
        for l, ((W, b), (f, _)) in enumerate(zip(params, layers, strict=True)):
            A, cache = dense_forward(A, W, b, f)
            mask = None
            if p_drop > 0 and l < last:
                A, mask = inverted_dropout(A, p_drop, rng)
            caches.append(cache)
            masks.append(mask)
        dA = cross_entropy_grad(A, y[batch])  # dL/dZ of the last layer
        grads = []
        for l in range(last, -1, -1):
            if masks[l] is not None:
                dA = dA * masks[l]  # dropped units pass no gradient back
            dA, dW, db = dense_backward(dA, params[l][0], caches[l], layers[l][1])
            grads = [dW, db, *grads]
        optimizer.step(flat, grads)


def layer_norm(X, gain, bias, eps=1e-5):
    """Layer normalization of each row of X (..., d) over its d features, then gain
    and bias (chapter 11, A transformer block from scratch). Returns Y and the cache
    for layer_norm_backward."""
    mean = X.mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(X.var(axis=-1, keepdims=True) + eps)
    X_hat = (X - mean) * inv_std
    return X_hat * gain + bias, (X_hat, inv_std)


def layer_norm_backward(dY, gain, cache):
    """Gradients (dX, dgain, dbias) of layer_norm, given dY = dL/dY (chapter 11, A
    transformer block from scratch)."""
    X_hat, inv_std = cache
    dX_hat = dY * gain
    dX = inv_std * (
        dX_hat
        - dX_hat.mean(axis=-1, keepdims=True)
        - X_hat * (dX_hat * X_hat).mean(axis=-1, keepdims=True)
    )
    rows = tuple(range(dY.ndim - 1))  # every axis but the features
    return dX, (dY * X_hat).sum(axis=rows), dY.sum(axis=rows)


def mlp_forward(X, W_1, b_1, W_2, b_2):
    """The position-wise MLP ReLU(X W_1 + b_1) W_2 + b_2 on X (..., d) (chapter 11, A
    transformer block from scratch). Returns the output and the cache."""
    Z = X @ W_1 + b_1
    return relu(Z) @ W_2 + b_2, (X, Z)


def mlp_backward(dOut, W_1, W_2, cache):
    """Gradients (dX, dW_1, db_1, dW_2, db_2) of mlp_forward (chapter 11, A transformer
    block from scratch)."""
    X, Z = cache
    d, d_ff = W_1.shape
    dOut_rows = dOut.reshape(-1, d)  # every position is a row
    dW_2 = relu(Z).reshape(-1, d_ff).T @ dOut_rows
    dZ = (dOut @ W_2.T) * (Z > 0)
    dZ_rows = dZ.reshape(-1, d_ff)
    dW_1 = X.reshape(-1, d).T @ dZ_rows
    return dZ @ W_1.T, dW_1, dZ_rows.sum(axis=0), dW_2, dOut_rows.sum(axis=0)


def self_attention(X, W_Q, W_K, W_V, W_O, heads):
    """Multi-head self-attention of a batch X (m, n, d), without a mask (chapter 11, A
    transformer block from scratch). Returns the output (m, n, d) and the cache; the
    weights (m, heads, n, n) are cache[4]."""
    m, n, d = X.shape
    d_k = d // heads

    def split(M):  # (m, n, d) -> (m, heads, n, d_k)
        return M.reshape(m, n, heads, d_k).transpose(0, 2, 1, 3)

    Q, K, V = split(X @ W_Q), split(X @ W_K), split(X @ W_V)
    weights = softmax(Q @ K.swapaxes(-1, -2) / np.sqrt(d_k), axis=-1)
    concat = (weights @ V).transpose(0, 2, 1, 3).reshape(m, n, d)
    return concat @ W_O, (X, Q, K, V, weights, concat)


def self_attention_backward(dOut, W_Q, W_K, W_V, W_O, cache):
    """Gradients (dX, dW_Q, dW_K, dW_V, dW_O) of self_attention (chapter 11, A
    transformer block from scratch)."""
    X, Q, K, V, weights, concat = cache
    m, n, d = X.shape
    heads, d_k = Q.shape[1], Q.shape[-1]
    dW_O = concat.reshape(-1, d).T @ dOut.reshape(-1, d)
    dHeads = (dOut @ W_O.T).reshape(m, n, heads, d_k).transpose(0, 2, 1, 3)
    dV = weights.swapaxes(-1, -2) @ dHeads  # chapter 10's formulas, batched
    dA = dHeads @ V.swapaxes(-1, -2)
    dS = weights * (dA - (dA * weights).sum(axis=-1, keepdims=True))
    dQ = dS @ K / np.sqrt(d_k)
    dK = dS.swapaxes(-1, -2) @ Q / np.sqrt(d_k)

    def merge(M):  # (m, heads, n, d_k) -> (m * n, d)
        return M.transpose(0, 2, 1, 3).reshape(-1, d)

    dQ, dK, dV = merge(dQ), merge(dK), merge(dV)
    X_rows = X.reshape(-1, d)
    dX = (dQ @ W_Q.T + dK @ W_K.T + dV @ W_V.T).reshape(m, n, d)
    return dX, X_rows.T @ dQ, X_rows.T @ dK, X_rows.T @ dV, dW_O


def block_forward(X, p, heads, residual=True):
    """A pre-LN transformer block on X (m, n, d) with parameters ``p`` (a dict, see
    init_block); ``residual=False`` drops both residual connections (chapter 11, A
    transformer block from scratch). Returns Y (m, n, d) and the cache."""
    A, ln1 = layer_norm(X, p["ln1_g"], p["ln1_b"])
    att, att_cache = self_attention(A, p["W_Q"], p["W_K"], p["W_V"], p["W_O"], heads)
    H = X + att if residual else att
    M, ln2 = layer_norm(H, p["ln2_g"], p["ln2_b"])
    mlp, mlp_cache = mlp_forward(M, p["W_1"], p["b_1"], p["W_2"], p["b_2"])
    Y = H + mlp if residual else mlp
    return Y, (ln1, att_cache, ln2, mlp_cache, residual)


def block_backward(dY, p, cache):
    """dX and the gradients of every parameter of block_forward, as a dict shaped like
    ``p`` (chapter 11, A transformer block from scratch)."""
    ln1, att_cache, ln2, mlp_cache, residual = cache
    g = {}
    dM, g["W_1"], g["b_1"], g["W_2"], g["b_2"] = mlp_backward(
        dY, p["W_1"], p["W_2"], mlp_cache
    )
    dH, g["ln2_g"], g["ln2_b"] = layer_norm_backward(dM, p["ln2_g"], ln2)
    if residual:
        dH = dH + dY  # the gradient also flows straight through the addition
    dA, g["W_Q"], g["W_K"], g["W_V"], g["W_O"] = self_attention_backward(
        dH, p["W_Q"], p["W_K"], p["W_V"], p["W_O"], att_cache
    )
    dX, g["ln1_g"], g["ln1_b"] = layer_norm_backward(dA, p["ln1_g"], ln1)
    if residual:
        dX = dX + dH
    return dX, g


def init_block(rng, d, d_ff):
    """Parameters of one block: gains 1, biases 0, projections with variance 1/d and
    W_1 with He's variance 2/d (chapter 11, A transformer block from scratch)."""
    return {
        "ln1_g": np.ones(d),
        "ln1_b": np.zeros(d),
        "W_Q": rng.normal(0, d**-0.5, (d, d)),
        "W_K": rng.normal(0, d**-0.5, (d, d)),
        "W_V": rng.normal(0, d**-0.5, (d, d)),
        "W_O": rng.normal(0, d**-0.5, (d, d)),
        "ln2_g": np.ones(d),
        "ln2_b": np.zeros(d),
        "W_1": rng.normal(0, (2 / d) ** 0.5, (d, d_ff)),
        "b_1": np.zeros(d_ff),
        "W_2": rng.normal(0, d_ff**-0.5, (d_ff, d)),
        "b_2": np.zeros(d),
    }


def init_transformer(seed, vocab, d, d_ff, blocks):
    """Embedding, blocks, final layer norm and read-out of a small transformer, as a
    dict (chapter 11, A transformer block from scratch)."""
    rng = np.random.default_rng(seed)
    return {
        "E": rng.normal(0, 1, (vocab, d)),
        "blocks": [init_block(rng, d, d_ff) for _ in range(blocks)],
        "ln_g": np.ones(d),
        "ln_b": np.zeros(d),
        "W_out": rng.normal(0, d**-0.5, (d, vocab)),
        "b_out": np.zeros(vocab),
    }


def transformer_forward(model, tokens, heads, positions=True, residual=True):
    """Scores (m, n, vocab) for integer tokens (m, n), and the cache (chapter 11, A
    transformer block from scratch)."""
    vocab, d = model["E"].shape
    onehots = one_hot(tokens, vocab)  # (m, n, vocab)
    X = onehots @ model["E"]
    if positions:
        X = X + sinusoidal_positions(tokens.shape[1], d)
    block_caches = []
    for p in model["blocks"]:
        X, cache = block_forward(X, p, heads, residual)
        block_caches.append(cache)
    Z, ln = layer_norm(X, model["ln_g"], model["ln_b"])
    return Z @ model["W_out"] + model["b_out"], (onehots, block_caches, Z, ln)


def transformer_backward(model, dScores, cache):
    """Gradients of every parameter, as a dict shaped like ``model``, given
    dScores = dL/dScores (chapter 11, A transformer block from scratch)."""
    onehots, block_caches, Z, ln = cache
    vocab, d = model["E"].shape
    dS_rows = dScores.reshape(-1, vocab)
    grads = {"W_out": Z.reshape(-1, d).T @ dS_rows, "b_out": dS_rows.sum(axis=0)}
    dX, grads["ln_g"], grads["ln_b"] = layer_norm_backward(
        dScores @ model["W_out"].T, model["ln_g"], ln
    )
    grads["blocks"] = [None] * len(block_caches)
    for k in reversed(range(len(block_caches))):
        dX, grads["blocks"][k] = block_backward(dX, model["blocks"][k], block_caches[k])
    grads["E"] = onehots.reshape(-1, vocab).T @ dX.reshape(-1, d)
    return grads


def parameters_and_gradients(model, grads):
    """Two matching lists of arrays, walking ``model`` and ``grads`` in the same order:
    what an optimizer's step takes (chapter 11, A transformer block from scratch)."""
    if isinstance(model, dict):
        pairs = [parameters_and_gradients(model[k], grads[k]) for k in model]
    elif isinstance(model, list):
        pairs = [
            parameters_and_gradients(p, g) for p, g in zip(model, grads, strict=True)
        ]
    else:
        return [model], [grads]
    return [a for ps, _ in pairs for a in ps], [b for _, gs in pairs for b in gs]

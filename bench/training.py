"""Chapter 8's from-scratch NumPy network against PyTorch and scikit-learn, seconds
per epoch.

Usage::

    .venv/bin/python -m bench.training [--reps 3]

The scikit-learn comparison (:func:`compare_sklearn`) trains chapter 8's network as
the chapter does (``SK_LAYERS``, Adam with ``SK_LR``, batch ``BATCH``, float64, the
chapter's ``nnbook.nn.train_epoch``) and ``MLPClassifier`` with the same settings
for ``SK_EPOCHS`` epochs each, from a fresh start, alternating the two ``reps`` times
on one thread; the ratio is the median of the per-pair ratios NumPy / scikit-learn.

PyTorch is a benchmark-only extra, never a dependency of the book (it is not in
requirements.txt): ``.venv/bin/pip install torch==2.13.0`` installs a CPU build.

For PyTorch both sides train the same network (``LAYERS``, ReLU hidden layers,
softmax cross-entropy, plain mini-batch SGD) on scikit-learn's 8x8 digits for one
epoch, on one thread each, and the ratio is NumPy / PyTorch. The NumPy side is
:func:`numpy_epoch`: one epoch of the chapter's own training loop,
``nnbook.nn.train_epoch`` (copied there from chapter 8's ``nnbook-save`` cell).
Until chapter 8 exists both rows say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [64, 64, 10]  # chapter 8's network
BATCH = 32
LR = 0.1
SEED = 0
NOT_YET = "not yet (chapter 8 not written)"
SK_LAYERS = [64, 64, 10]  # chapter 8's network: 64 pixels, 64 ReLU units, 10 scores
SK_LR = 3e-3  # chapter 8's Adam learning rate
SK_EPOCHS = 20


def chapter8() -> Path | None:
    """Chapter 8's notebook, once it exists."""
    found = sorted((ROOT / "book").glob("08_*.ipynb"))
    return found[0] if found else None


def digits() -> tuple:
    """The digits, inputs scaled to [0, 1], as float32 arrays (X, y)."""
    import numpy as np
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


def numpy_epoch_function(X, y):
    """``epoch()``: one epoch of chapter 8's training loop (``nnbook.nn.train_epoch``,
    plain SGD with ``LR``, ``LAYERS``, ``BATCH``) on (X, y); the state is kept
    between calls."""
    import numpy as np

    from nnbook.nn import SGD, init_params, train_epoch

    rng = np.random.default_rng(SEED)
    params = [
        (W.astype(X.dtype), b.astype(X.dtype)) for W, b in init_params(LAYERS, rng)
    ]
    activations = ["relu"] * (len(LAYERS) - 2) + ["identity"]
    optimizer = SGD(LR)

    def epoch() -> None:
        train_epoch(params, activations, X, y, optimizer, BATCH, rng)

    return epoch


def numpy_epoch(X, y) -> None:
    """One epoch of chapter 8's NumPy training loop on (X, y), from a fresh start."""
    numpy_epoch_function(X, y)()


def torch_epoch_function(X, y):
    """``epoch()``: one epoch of the same network in PyTorch, on one thread."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    layers = []
    for n_in, n_out in zip(LAYERS[:-1], LAYERS[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(SEED)

    def epoch() -> None:
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), BATCH):
            batch = order[start : start + BATCH]
            optimizer.zero_grad()
            loss_fn(model(inputs[batch]), targets[batch]).backward()
            optimizer.step()

    return epoch


def seconds_per_epoch(epoch, reps: int) -> float:
    """Median seconds of ``epoch()`` over ``reps`` runs, after one warm-up run."""
    epoch()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def compare(reps: int = 5) -> dict:
    """NumPy and PyTorch seconds per epoch and their ratio, or why not (yet)."""
    if chapter8() is None:
        return {"status": NOT_YET}
    for name, value in {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}.items():
        os.environ.setdefault(name, value)  # only effective before numpy's import
    X, y = digits()
    try:
        torch_epoch = torch_epoch_function(X, y)
    except ImportError:
        return {
            "status": "not measured (PyTorch not installed: "
            ".venv/bin/pip install torch==2.13.0)"
        }
    ours = seconds_per_epoch(numpy_epoch_function(X, y), reps)
    theirs = seconds_per_epoch(torch_epoch, reps)
    return {
        "status": "measured",
        "numpy_seconds": ours,
        "torch_seconds": theirs,
        "ratio": ours / theirs,
        "layers": LAYERS,
        "batch": BATCH,
    }


def sklearn_training_seconds(X, y, epochs: int) -> tuple[float, float]:
    """Seconds to train chapter 8's network for ``epochs`` epochs from a fresh start:
    (the chapter's NumPy loop, scikit-learn's ``MLPClassifier``), same settings."""
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from nnbook.nn import Adam, init_params, train_epoch

    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    params = init_params(SK_LAYERS, rng)
    optimizer = Adam(SK_LR)
    for _ in range(epochs):
        train_epoch(params, ["relu", "identity"], X, y, optimizer, BATCH, rng)
    ours = time.perf_counter() - started

    peer = MLPClassifier(
        hidden_layer_sizes=tuple(SK_LAYERS[1:-1]),
        activation="relu",
        solver="adam",
        learning_rate_init=SK_LR,
        batch_size=BATCH,
        alpha=0.0,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        random_state=SEED,
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peer.fit(X, y)
    return ours, time.perf_counter() - started


def compare_sklearn(reps: int = 5, epochs: int = SK_EPOCHS) -> dict:
    """NumPy and MLPClassifier seconds per epoch and their ratio, or why not (yet)."""
    if chapter8() is None:
        return {"status": NOT_YET}
    for name, value in {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}.items():
        os.environ.setdefault(name, value)  # only effective before numpy's import
    X, y = digits()
    X = X.astype("float64")  # the chapter's dtype; MLPClassifier keeps it
    sklearn_training_seconds(X, y, 1)  # warm-up: imports, caches
    pairs = [sklearn_training_seconds(X, y, epochs) for _ in range(reps)]
    return {
        "status": "measured",
        "numpy_seconds": statistics.median(p[0] for p in pairs) / epochs,
        "sklearn_seconds": statistics.median(p[1] for p in pairs) / epochs,
        "ratio": statistics.median(p[0] / p[1] for p in pairs),
        "layers": SK_LAYERS,
        "batch": BATCH,
        "epochs": epochs,
        "examples": len(y),
    }


# ---------------------------------------------------------------------------
# Chapter 11: one training step of the transformer, NumPy and (optionally) PyTorch.

TRANSFORMER = {
    "vocab": 10,
    "n": 6,
    "d": 16,
    "d_ff": 64,
    "blocks": 2,
    "heads": 2,
    "batch": 64,
    "lr": 5e-3,
}  # chapter 11's model and batch


def transformer_numpy_step():
    """``step()``: one training step (forward, backward, Adam) of chapter 11's model,
    written in the chapter and imported from ``nnbook.nn``, on a seeded batch of the
    reverse task."""
    import numpy as np

    from nnbook.nn import (
        Adam,
        cross_entropy,
        cross_entropy_grad,
        init_transformer,
        parameters_and_gradients,
        transformer_backward,
        transformer_forward,
    )

    c = TRANSFORMER
    model = init_transformer(SEED, c["vocab"], c["d"], c["d_ff"], c["blocks"])
    optimizer = Adam(c["lr"])
    rng = np.random.default_rng(SEED)
    tokens = rng.integers(0, c["vocab"], size=(c["batch"], c["n"]))
    targets = tokens[:, ::-1].reshape(-1)

    def step() -> None:
        scores, cache = transformer_forward(model, tokens, c["heads"])
        flat = scores.reshape(-1, c["vocab"])
        cross_entropy(flat, targets)
        dScores = cross_entropy_grad(flat, targets).reshape(scores.shape)
        grads = transformer_backward(model, dScores, cache)
        optimizer.step(*parameters_and_gradients(model, grads))

    return step


def transformer_torch_step():
    """``step()``: the same model, batch and optimizer in PyTorch, on one thread."""
    import math

    import torch

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    c = TRANSFORMER
    d, n, heads = c["d"], c["n"], c["heads"]

    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
            self.qkv = torch.nn.Linear(d, 3 * d, bias=False)
            self.out = torch.nn.Linear(d, d, bias=False)
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(d, c["d_ff"]),
                torch.nn.ReLU(),
                torch.nn.Linear(c["d_ff"], d),
            )

        def forward(self, x):
            m = x.shape[0]
            q, k, v = (
                t.reshape(m, n, heads, d // heads).transpose(1, 2)
                for t in self.qkv(self.ln1(x)).split(d, dim=-1)
            )
            w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1)
            x = x + self.out((w @ v).transpose(1, 2).reshape(m, n, d))
            return x + self.mlp(self.ln2(x))

    rates = torch.arange(n)[:, None] / 10000 ** (torch.arange(0, d, 2) / d)
    positions = torch.zeros(n, d)
    positions[:, 0::2], positions[:, 1::2] = torch.sin(rates), torch.cos(rates)
    embed = torch.nn.Embedding(c["vocab"], d)
    blocks = torch.nn.Sequential(*[Block() for _ in range(c["blocks"])])
    read_out = torch.nn.Sequential(
        torch.nn.LayerNorm(d), torch.nn.Linear(d, c["vocab"])
    )
    optimizer = torch.optim.Adam(
        [*embed.parameters(), *blocks.parameters(), *read_out.parameters()], lr=c["lr"]
    )
    generator = torch.Generator().manual_seed(SEED)
    tokens = torch.randint(0, c["vocab"], (c["batch"], n), generator=generator)
    targets = tokens.flip(1).reshape(-1)

    def step() -> None:
        optimizer.zero_grad()
        scores = read_out(blocks(embed(tokens) + positions))
        flat = scores.reshape(-1, c["vocab"])
        torch.nn.functional.cross_entropy(flat, targets).backward()
        optimizer.step()

    return step


def compare_transformer(reps: int = 5, steps: int = 20) -> dict:
    """Milliseconds per training step of chapter 11's transformer in NumPy and, when
    PyTorch is installed, in PyTorch (one thread each), and their ratio (issue 14's
    target: at most 2x). Without PyTorch, ``"torch"`` says "torch not installed"."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # only effective before numpy's import
    try:
        numpy_step = transformer_numpy_step()
    except ImportError as error:
        return {"status": f"not yet (chapter 11's model is not in nnbook.nn: {error})"}

    def run(step):
        return lambda: [step() for _ in range(steps)]

    ours = seconds_per_epoch(run(numpy_step), reps) / steps
    result = {"status": "measured", "numpy_ms_per_step": ours * 1000, **TRANSFORMER}
    try:
        torch_step = transformer_torch_step()
    except ImportError:
        result["torch"] = "torch not installed"
        return result
    theirs = seconds_per_epoch(run(torch_step), reps) / steps
    result.update(
        torch="measured", torch_ms_per_step=theirs * 1000, ratio=ours / theirs
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    result = compare(args.reps)
    if result["status"] != "measured":
        print(result["status"])
    else:
        print(
            f"NumPy {result['numpy_seconds'] * 1000:.1f} ms/epoch, PyTorch "
            f"{result['torch_seconds'] * 1000:.1f} ms/epoch: {result['ratio']:.2f}x"
        )
    result = compare_sklearn(args.reps)
    if result["status"] != "measured":
        print(result["status"])
    else:
        print(
            f"NumPy {result['numpy_seconds'] * 1000:.1f} ms/epoch, MLPClassifier "
            f"{result['sklearn_seconds'] * 1000:.1f} ms/epoch: {result['ratio']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

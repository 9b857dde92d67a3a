"""Chapter 8's from-scratch NumPy network against PyTorch, seconds per epoch.

Usage::

    .venv/bin/python -m bench.training [--reps 3]

PyTorch is a benchmark-only extra, never a dependency of the book (it is not in
requirements.txt): ``.venv/bin/pip install torch==2.13.0`` installs a CPU build.

Both sides train the same network (``LAYERS``, ReLU hidden layers, softmax
cross-entropy, plain mini-batch SGD) on scikit-learn's 8x8 digits for one epoch,
on one thread each, and the ratio is NumPy / PyTorch. Until chapter 8 exists the
row says so. When it does, :func:`numpy_epoch` is the one function to write: it
runs one epoch of the chapter's own training loop (imported from ``nnbook.nn``,
where chapter 8's ``nnbook-save`` cells are copied) and matches ``LAYERS``,
``BATCH`` and ``LR`` below to the chapter's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [64, 64, 10]  # match chapter 8's network when it is written
BATCH = 32
LR = 0.1
SEED = 0
NOT_YET = "not yet (chapter 8 not written)"


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


def numpy_epoch(X, y) -> None:
    """One epoch of chapter 8's NumPy training loop on (X, y). To write with ch. 8."""
    raise NotImplementedError(
        "write bench.training.numpy_epoch: one epoch of chapter 8's training loop "
        "(from nnbook.nn) with LAYERS, BATCH and LR"
    )


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
    try:
        ours = seconds_per_epoch(lambda: numpy_epoch(X, y), reps)
    except NotImplementedError as error:
        return {"status": f"not measured ({error})"}
    theirs = seconds_per_epoch(torch_epoch, reps)
    return {
        "status": "measured",
        "numpy_seconds": ours,
        "torch_seconds": theirs,
        "ratio": ours / theirs,
        "layers": LAYERS,
        "batch": BATCH,
    }


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
    return 0


if __name__ == "__main__":
    sys.exit(main())

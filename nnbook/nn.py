"""Neural-network code that later chapters reuse, copied from the chapters that teach it.

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

"""Small data sets the chapters use. Nothing is downloaded."""

from __future__ import annotations

import numpy as np

GATE_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

_GATE_TARGETS = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The four input pairs and targets of a two-input logic gate (chapter 1).

    Returns ``X`` of shape ``(4, 2)`` (one row per example, the book's shape
    convention) and ``y`` of shape ``(4,)`` with 0/1 targets.
    """
    key = str(name).upper()
    if key not in _GATE_TARGETS:
        known = ", ".join(_GATE_TARGETS)
        raise ValueError(f"unknown logic gate {name!r}; choose one of {known}")
    return GATE_INPUTS.copy(), np.array(_GATE_TARGETS[key], dtype=float)

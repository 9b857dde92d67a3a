"""Helpers for the Neurons to Attention course.

The chapters write the neural-network code out in cells; this package holds only
the plumbing they share: the plot style (:mod:`nnbook.style`), live slider figures
(:mod:`nnbook.sliders`), small data sets (:mod:`nnbook.datasets`), exercise checks
(:mod:`nnbook.exercises`), and the instructor's release and grading commands
(:mod:`nnbook.release`, :mod:`nnbook.cli`).
"""

__version__ = "0.1.0"

"""Benchmarks of the course (not tests): ``python -m bench`` prints the table.

See bench/run.py for what is measured and the targets; each module also runs on
its own (``python -m bench.chapters``, ``python bench/slider_callback.py``, ...).
"""

"""nnbook.warm_kernels: the book build's kernels, forked from a warm process."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import python_notebook
from jupyter_cache.executors.utils import single_nb_execution

from nnbook import warm_kernels

pytestmark = pytest.mark.skipif(
    not warm_kernels.available(), reason="no fork server on this platform"
)


def execute(tmp_path, *cells: str):
    """Run a notebook of ``cells`` in a warm kernel in ``tmp_path``: the executed
    notebook and jupyter-cache's result (its error, if any)."""
    notebook = python_notebook(*cells)
    result = single_nb_execution(
        notebook,
        cwd=str(tmp_path),
        timeout=60,
        allow_errors=False,
        kernel_manager_class=warm_kernels.WarmKernelManager,
    )
    return notebook, result


def run(tmp_path, *cells: str) -> list[str]:
    """Each cell's printed output, from a warm kernel that ran them all."""
    notebook, result = execute(tmp_path, *cells)
    assert result.err is None, result.err
    return [
        "".join(o.get("text", "") for o in c.outputs).strip() for c in notebook.cells
    ]


def test_a_warm_kernel_is_a_fresh_process_with_the_libraries_imported(tmp_path):
    (tmp_path / "helper.py").write_text("ANSWER = 42\n")
    first = run(
        tmp_path,
        "import os, sys\nprint(os.getpid(), 'sympy' in sys.modules, os.getcwd())",
        "import helper, numpy\n"  # the notebook's own folder is importable
        "numpy.MARK = 'set by the first notebook'\n"
        "print(helper.ANSWER, os.environ['JPY_PARENT_PID'])",
    )
    pid, preloaded, cwd = first[0].split()
    assert preloaded == "True"  # imported before the notebook's first line
    assert cwd == str(tmp_path)
    assert first[1] == f"42 {os.getpid()}"  # the environment a launched kernel gets
    second = run(
        tmp_path, "import os, numpy\nprint(os.getpid(), hasattr(numpy, 'MARK'))"
    )[0].split()
    # another process, untouched by what the first notebook did to a library
    assert second[0] != pid and second[1] == "False"


def test_a_notebook_that_fails_in_a_warm_kernel_reports_its_error(tmp_path):
    _, result = execute(tmp_path, "1 / 0")
    assert "ZeroDivisionError" in str(result.err)


def test_only_this_interpreters_ipykernel_is_forked():
    args = ["-f", "/tmp/k.json"]
    assert (
        warm_kernels.launcher_arguments(
            [sys.executable, "-m", "ipykernel_launcher", *args]
        )
        == args
    )
    assert (
        warm_kernels.launcher_arguments(
            ["/usr/bin/python2", "-m", "ipykernel_launcher"]
        )
        is None
    )
    assert (
        warm_kernels.launcher_arguments([sys.executable, "-m", "other_kernel"]) is None
    )
    assert warm_kernels.launcher_arguments(["R", "--slave"]) is None

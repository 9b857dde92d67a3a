"""Each chapter's execution time in a kernel pinned to one CPU (Binder's size).

Usage::

    .venv/bin/python -m bench.chapters [book/01_neurons.ipynb ...] [--reps 3]

Every book notebook runs top to bottom with nbclient, in a kernel started through
``taskset -c 0`` (or, without util-linux, a Python wrapper that calls
``os.sched_setaffinity``) with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` set to 1. The time is what a reader waits for "Run all" in a
started kernel: from the kernel being ready to the last cell's reply; the kernel's
start-up is reported apart. The live figures' precomputed HTML frames are off,
as they are on Binder (only the book build turns them on).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "nnbook-bench-1cpu"
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# Printed by the first cell we add: proves the pinning took effect.
AFFINITY_PROBE = "import os; print('AFFINITY', sorted(os.sched_getaffinity(0)))"


def pinned_kernel_argv(cpu: int = 0, python: str = sys.executable) -> list[str]:
    """The argv of an IPython kernel that may run on CPU ``cpu`` only."""
    kernel = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    taskset = shutil.which("taskset")
    if taskset:
        return [taskset, "-c", str(cpu), *kernel]
    wrapper = (
        f"import os, sys; os.sched_setaffinity(0, {{{cpu}}}); "
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
    )
    return [python, "-c", wrapper, *kernel[1:]]


def write_kernelspec(
    folder: Path, cpu: int | None = 0, env: dict[str, str] | None = None
) -> Path:
    """A kernelspec folder for a one-thread kernel, pinned to ``cpu`` unless None."""
    spec_dir = Path(folder) / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = (
        pinned_kernel_argv(cpu)
        if cpu is not None
        else [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    )
    spec = {
        "argv": argv,
        "display_name": "nnbook bench",
        "language": "python",
        "env": {**ONE_THREAD, "PYTHONHASHSEED": "0", **(env or {})},
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return Path(folder)


def kernel_manager(kernel_dirs: Path):
    """A kernel manager that starts the kernelspec written by write_kernelspec."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    specs = KernelSpecManager(
        kernel_dirs=[str(kernel_dirs)], ensure_native_kernel=False
    )
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def run_notebook(path: Path, kernel_dirs: Path, timeout: int = 600) -> dict:
    """Execute one notebook; seconds to run its cells, to start, and the affinity."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(AFFINITY_PROBE))
    marks: dict[str, float] = {}
    client = NotebookClient(
        notebook,
        timeout=timeout,
        km=kernel_manager(kernel_dirs),
        resources={"metadata": {"path": str(Path(path).parent)}},
        record_timing=False,
    )
    client.on_notebook_start = lambda **_: marks.setdefault(
        "ready", time.perf_counter()
    )

    def executed(cell_index: int, **_) -> None:
        if cell_index == 0:  # our affinity probe is not the chapter's time
            marks["first"] = time.perf_counter()
        marks["last"] = time.perf_counter()

    client.on_cell_executed = executed
    started = time.perf_counter()
    client.execute(env=_kernel_env(), cleanup_kc=True)  # we made km: shut it down
    text = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    affinity = json.loads(text.split("AFFINITY", 1)[1]) if "AFFINITY" in text else None
    return {
        "seconds": marks["last"] - marks["first"],
        "startup_seconds": marks["ready"] - started,
        "affinity": affinity,
    }


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ, **ONE_THREAD, PYTHONHASHSEED="0")
    env.pop("NNBOOK_STATIC_FRAMES", None)  # Binder shows the live widget, no frames
    return env


def time_chapters(
    paths: list[Path], reps: int, cpu: int | None = 0, log=None
) -> list[dict]:
    """Median execution seconds of each notebook over ``reps`` runs (one row each)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-kernel-") as tmp:
        kernel_dirs = write_kernelspec(Path(tmp), cpu)
        for path in paths:
            runs = []
            for _ in range(reps):
                runs.append(run_notebook(path, kernel_dirs))
                if log:
                    log(f"  {path.name}: {runs[-1]['seconds']:.1f} s")
            rows.append(
                {
                    "chapter": Path(path).stem,
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "runs": [round(r["seconds"], 3) for r in runs],
                    "startup_seconds": statistics.median(
                        r["startup_seconds"] for r in runs
                    ),
                    "affinity": runs[0]["affinity"],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    print(f"{'chapter':<28} {'seconds (1 CPU)':>16} {'kernel start s':>15}  CPUs")
    for row in time_chapters(paths, args.reps):
        print(
            f"{row['chapter']:<28} {row['seconds']:>16.2f} "
            f"{row['startup_seconds']:>15.2f}  {row['affinity']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

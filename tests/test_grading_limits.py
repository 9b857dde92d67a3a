"""The worker's limits hold where the kernel enforces them (issue 10): seccomp
(no new namespaces, keyring, memfd, mounts), a cgroup per worker, the filtered
view of nnbook, and the grader's own costs (long result lines, big notebooks)."""

from __future__ import annotations

import ast
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from nnbook.grading import notebook, sandbox
from nnbook.grading.run import Lines, parse_message, run_worker

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "exercises" / "01_neurons.ipynb"
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"

SYSCALLS = """
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def call(*args):
    result = libc.syscall(*args)
    return "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]
facts = {
    "memfd_create": call(319, b"x", 0),
    "unshare_user": call(272, 0x10000000),
    "unshare_mount": call(272, 0x00020000),
    "add_key": call(248, b"user", b"nnbook", b"secret", 6, -4),
    "keyctl": call(250, 0, -4, 0),
    "mount": call(165, b"none", b"/tmp", b"tmpfs", 0, None),
}
pid = os.fork()  # a plain fork still works
if pid == 0:
    os._exit(7)
facts["fork"] = os.waitpid(pid, 0)[1] >> 8
raise RuntimeError(repr(facts))
"""

VIEW = """
import os, nnbook, nnbook.exercises, nnbook.datasets, nnbook.style
from nnbook.exercises import check
package = os.path.dirname(nnbook.__file__)
top = os.listdir(package)
facts = {"hidden": [n for n in ("nn.py", "grading", "__pycache__") if n in top],
         "exercises": sorted(os.listdir(os.path.join(package, "exercises")))}
for name in ["nnbook.nn", "nnbook.exercises.ch01", "nnbook.grading.run"]:
    try:
        __import__(name)
        facts[name] = "imported"
    except ImportError as error:
        facts[name] = "course's own implementation" in str(error)
raise RuntimeError(repr(facts))
"""


def _backends() -> list[str]:
    found = []
    for name in ("bwrap", "unshare"):
        try:
            sandbox.detect(name).close()
            found.append(name)
        except RuntimeError:
            pass
    return found


def _facts(backend: str, source: str, **limits) -> dict:
    box = sandbox.detect(backend)
    try:
        cell = notebook.Cell(99, "probe", "code", None, source)
        attempt = run_worker(box, sandbox.Limits(**limits), [cell], {}, 0, 30)
    finally:
        box.close()
    assert attempt.done, (attempt.fatal, attempt.output[-2000:])
    return ast.literal_eval(attempt.errors[99].split(": ", 1)[1])


@pytest.mark.skipif(sandbox.os.uname().machine != "x86_64", reason="x86_64 numbers")
@pytest.mark.parametrize("backend", _backends())
def test_seccomp_denies_namespaces_keyring_memfd_and_mounts(backend: str) -> None:
    facts = _facts(backend, SYSCALLS)
    assert facts == {
        "memfd_create": "EPERM",
        "unshare_user": "EPERM",
        "unshare_mount": "EPERM",
        "add_key": "EPERM",
        "keyctl": "EPERM",
        "mount": "EPERM",
        "fork": 7,
    }


@pytest.mark.parametrize("backend", [*_backends(), "none"])
def test_worker_sees_no_reference_code_only_the_checking_api(backend: str) -> None:
    facts = _facts(backend, VIEW)
    assert facts == {
        "hidden": [],
        "exercises": ["__init__.py"],
        "nnbook.nn": True,
        "nnbook.exercises.ch01": True,
        "nnbook.grading.run": True,
    }


def test_the_view_holds_what_the_release_imports_and_never_the_reference(
    tmp_path: Path,
) -> None:
    setup = (
        "import numpy as np\nfrom nnbook.sliders import LiveFigure\n%matplotlib inline"
    )
    cheat = "import nnbook.nn\nfrom nnbook.exercises import ch01\nimport nnbook.grading"
    modules = sandbox.build_view(tmp_path, [setup, cheat])
    names = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.py")}
    assert "nnbook/exercises/__init__.py" in names and "nnbook/datasets.py" in names
    assert "nnbook/sliders.py" in names and "nnbook.sliders" in modules
    assert "grader/worker.py" in names
    assert not any(
        n.startswith(("nnbook/grading", "nnbook/exercises/ch")) or n == "nnbook/nn.py"
        for n in names
    )
    assert not any("__pycache__" in n for n in names)
    # A module no release cell imports is not there either.
    other = sandbox.build_view(tmp_path / "plain")
    assert other == {"nnbook", "nnbook.exercises", "nnbook.datasets", "nnbook.style"}


def test_startup_report_says_how_memory_and_namespaces_are_limited() -> None:
    box = sandbox.detect("auto")
    try:
        text = box.report(sandbox.Limits())
    finally:
        box.close()
    assert "seccomp filter" in text and "cgroup" in text
    if box.cgroups is not None:
        assert "2304 MiB of memory (--memory + 2 x --disk" in text


def test_a_cgroup_holds_memory_that_rlimits_do_not_see() -> None:
    # Files in a memfd are not address space: only the cgroup counts them. With
    # the seccomp filter off (a machine without it), the cgroup still stops them.
    box = sandbox.detect("auto")
    try:
        if box.cgroups is None:
            pytest.skip("no cgroup this grader may create here")
        box.seccomp = False
        cell = notebook.Cell(
            5,
            "hog",
            "code",
            None,
            "import os\nchunk = b'x' * 2**24\nfds = []\nfor _ in range(40):\n"
            "    fd = os.memfd_create('hog')\n    for _ in range(2):\n"
            "        os.write(fd, chunk)\n    fds.append(fd)\n",
        )
        limits = sandbox.Limits(memory_mib=256, disk_mib=64)
        attempt = run_worker(box, limits, [cell], {}, 0, 30)
    finally:
        box.close()
    assert attempt.fatal is not None and attempt.fatal[0] == "memory", attempt


def test_a_line_of_millions_of_braces_costs_the_grader_little() -> None:
    line = b'{"event": "probe", "data": [' + b"{}," * 4_900_000 + b"{}]}\n"
    lines = Lines(16 * 2**20)
    started = time.process_time()
    found = []
    for start in range(0, len(line), 1 << 16):  # as the pipe delivers it
        found += lines.feed(line[start : start + (1 << 16)])
    assert [parse_message(x) for x in found] == [None]
    assert time.process_time() - started < 2.0


def test_a_line_longer_than_the_cap_is_dropped_whole() -> None:
    lines = Lines(10)
    assert lines.feed(b'{"a": 1}\n' + b"x" * 30) == [b'{"a": 1}']
    assert lines.feed(b"y" * 30 + b'\n{"b": 2}\n') == [b'{"b": 2}']


def _with_output(tmp_path: Path, output: str) -> Path:
    """right_answers.ipynb with ``output`` (JSON text) as its first output."""
    text = (FIXTURES / "right_answers.ipynb").read_text()
    marker = '"outputs": []'
    assert marker in text
    path = tmp_path / "big.ipynb"
    path.write_text(text.replace(marker, f'"outputs": [{output}]', 1))
    return path


def test_a_30_mib_notebook_costs_little_more_than_its_size(tmp_path: Path) -> None:
    lines = json.dumps(["step 1\n"] * 3_000_000)
    escapes = json.dumps("a\n" * 3_000_000)
    path = _with_output(
        tmp_path,
        '{"output_type": "stream", "name": "stdout", "text": ' + lines + "}, "
        '{"output_type": "stream", "name": "stdout", "text": ' + escapes + "}",
    )
    size = path.stat().st_size
    assert size > 30 * 2**20
    release = notebook.load_release(RELEASE)
    tracemalloc.start()
    try:
        answers, _ = notebook.read_answers(release, path, 64 * 2**20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(answers) == 5
    assert peak < 2.5 * size, (
        f"{peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB file"
    )


def test_outputs_of_millions_of_brackets_are_refused_quickly(tmp_path: Path) -> None:
    data = '{"application/json": ' + json.dumps([[]] * 5 * 10**6) + "}"
    path = _with_output(
        tmp_path,
        '{"output_type": "display_data", "metadata": {}, "data": ' + data + "}",
    )
    release = notebook.load_release(RELEASE)
    started = time.process_time()
    with pytest.raises(notebook.Unreadable, match="outputs are too large"):
        notebook.read_answers(release, path, 64 * 2**20)
    assert time.process_time() - started < 5.0


def test_the_worker_enters_its_cgroups_before_it_starts(tmp_path: Path) -> None:
    import subprocess

    folders = [tmp_path / "memory", tmp_path / "pids"]
    for folder in folders:
        folder.mkdir()
        (folder / "cgroup.procs").write_text("")
    argv = sandbox.Cgroups.enter(folders, ["sh", "-c", "echo $$"])
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    pid = done.stdout.strip()  # exec: the worker is the process that moved
    assert [(f / "cgroup.procs").read_text().strip() for f in folders] == [pid] * 2


def test_an_oom_kill_is_read_from_v1_and_v2_files(tmp_path: Path) -> None:
    v2, v1 = tmp_path / "v2", tmp_path / "v1"
    v2.mkdir()
    v1.mkdir()
    (v2 / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (v1 / "memory.oom_control").write_text("oom_kill_disable 0\noom_kill 0\n")
    groups = sandbox.Cgroups(2, {})
    assert groups.oom_killed([v2]) and not groups.oom_killed([v1])

"""Grade submissions: run each in a sandboxed worker, judge in this process.

The grader holds every verdict; an exercise earns points only when
:func:`nnbook.exercises.judge` passed it here, from plain data the worker sent
for that exercise's check cell. A worker that exits, is killed, runs out of time
or memory in some cell fails only the exercise that cell belongs to: the
grader runs the notebook again in a fresh worker without that answer cell (and
without the checks already decided), so a bomb in exercise 3 does not cost
exercise 4. Every submission gives a :class:`Result`, whatever happened.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from nnbook import exercises
from nnbook.exercises import Verdict, course_code_message, plain_text
from nnbook.grading.notebook import Cell, Release, Unreadable, read_answers
from nnbook.grading.sandbox import ENV, UID_BASE, Limits, Sandbox

F_SETPIPE_SZ = 1031
MAX_DEPTH = 64  # the probes nest far less; deeper JSON is refused
MAX_CONTAINERS = 50_000  # objects and arrays in one message; more is refused
STATUS_ORDER = (
    "graded",
    "exited",
    "crashed",
    "memory",
    "timeout",
    "unreadable",
    "error",
)


@dataclass
class Result:
    """One submission's grade: a row of grades.csv and a feedback file."""

    student: str
    path: Path | None
    status: str = "graded"
    reasons: list[str] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cell_errors: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(v.points for v in self.verdicts.values())

    def worsen(self, status: str, reason: str) -> None:
        if STATUS_ORDER.index(status) > STATUS_ORDER.index(self.status):
            self.status = status
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass
class Attempt:
    """What one worker run reported."""

    probes: dict[str, object] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    course_code: dict[int, str] = field(default_factory=dict)  # cell -> module
    ready: bool = False
    done: bool = False
    last_cell: int | None = None
    order: tuple[int, ...] = ()  # the cells' indices, in the order they run
    started: int = 0  # how many of them have started
    fatal: tuple[str, str] | None = None  # (status, reason)
    output: bytes = b""

    def advance(self, index: object) -> bool:
        """Accept a "cell" event only when it names the next cell to run: a
        forged event cannot go back, stay, or skip ahead."""
        if (
            type(index) is int
            and self.started < len(self.order)
            and index == self.order[self.started]
        ):
            self.last_cell = index
            self.started += 1
            return True
        return False


class Lines:
    """Split a byte stream into lines in linear time, dropping any line longer
    than ``cap`` bytes (its start and its end alike) without keeping it."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buffer = bytearray()
        self.overflow = False

    def feed(self, chunk: bytes) -> list[bytes]:
        lines = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self.overflow and len(self.buffer) + len(piece) > self.cap:
                self.buffer.clear()
                self.overflow = True
            elif not self.overflow:
                self.buffer += piece
            if end < 0:
                return lines
            if not self.overflow:
                lines.append(bytes(self.buffer))
            self.buffer.clear()
            self.overflow = False
            start = end + 1


def parse_message(line: bytes) -> dict | None:
    """One line from the worker as a dict, or ``None`` when it is not acceptable
    JSON (malformed, not an object, nested deeper than ``MAX_DEPTH`` or holding
    more than ``MAX_CONTAINERS`` objects and arrays: counted before parsing, so
    a line of millions of ``{}`` costs no more than reading it)."""
    if line.count(b"{") + line.count(b"[") > MAX_CONTAINERS:
        return None
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    stack = [(message, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return message


def _kill_tree(process: subprocess.Popen, wrapped: bool) -> None:
    """End a worker and everything it started.

    ``wrapped`` (bwrap / unshare): SIGKILL the namespace's first process, which
    takes every process of the pid namespace with it, and let the wrapper reap it,
    so that nothing is left, not even a zombie. Otherwise: the process group.
    """
    if wrapped and process.poll() is None:
        children = _children(process.pid)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            process.wait(timeout=10 if children else 0.05)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def run_worker(
    sandbox: Sandbox,
    limits: Limits,
    cells: list[Cell],
    answers: dict[int, str],
    slot: int,
    budget: float,
) -> Attempt:
    """Run ``cells`` (answers substituted) in one fresh sandboxed worker and
    collect what it reports (used by :func:`grade_one`, i.e. ``nnbook grade``)."""
    attempt = Attempt(order=tuple(c.index for c in cells))
    plan = {
        "sandbox": sandbox.plan(limits, UID_BASE + slot),
        # Inputs only: the reference and the expected values stay here.
        "exercises": {
            c.exercise: exercises.inputs_for(c.exercise)
            for c in cells
            if c.kind == "check"
        },
        "cells": [
            {
                "index": c.index,
                "id": c.id,
                "kind": c.kind,
                "exercise": c.exercise,
                "source": answers.get(c.index, c.source),
            }
            for c in cells
        ],
    }
    read_fd, write_fd = os.pipe()
    out_read, out_write = os.pipe()
    try:  # a larger pipe: fewer wake-ups when a student prints a lot
        fcntl.fcntl(out_read, F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass
    wrapped = sandbox.backend != "none"
    cgroup: list[Path] = []
    if sandbox.cgroups is not None:
        try:
            cgroup = sandbox.cgroups.create(limits)
        except OSError as error:
            os.close(read_fd)
            os.close(write_fd)
            os.close(out_read)
            os.close(out_write)
            attempt.fatal = ("error", f"could not make the worker's cgroup ({error})")
            return attempt
    workdir = "/" if wrapped else tempfile.mkdtemp(prefix="work-", dir=sandbox.scratch)
    argv = sandbox.command(sys.executable, limits, cgroup)
    try:
        process = subprocess.Popen(
            [*argv, str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=out_write,
            stderr=out_write,
            pass_fds=(write_fd,),
            start_new_session=True,
            env=ENV if wrapped else dict(ENV, HOME=workdir),
            cwd=workdir,
        )
    except OSError as error:
        os.close(read_fd)
        os.close(out_read)
        if not wrapped:
            shutil.rmtree(workdir, ignore_errors=True)
        if cgroup:
            sandbox.cgroups.remove(cgroup)
        attempt.fatal = ("error", f"the worker could not start ({error.strerror})")
        return attempt
    finally:
        os.close(write_fd)
        os.close(out_write)
    try:
        process.stdin.write(json.dumps(plan).encode())
        process.stdin.close()
    except OSError:
        pass
    try:
        _watch(process, read_fd, out_read, limits, budget, attempt)
    finally:
        _kill_tree(process, wrapped)
        os.close(read_fd)
        os.close(out_read)
        if not wrapped:
            shutil.rmtree(workdir, ignore_errors=True)
        oom = bool(cgroup) and sandbox.cgroups.oom_killed(cgroup)
        if cgroup:
            sandbox.cgroups.remove(cgroup)
    if oom and not attempt.done:
        attempt.fatal = (
            "memory",
            "was killed at the memory limit (--memory plus the two tmpfs: memory, "
            "files in /tmp and home, and memory files all count)",
        )
    elif not attempt.done and attempt.fatal is None:
        attempt.fatal = _death(process.returncode, attempt)
    return attempt


def _death(code: int, attempt: Attempt) -> tuple[str, str]:
    if not attempt.ready:
        tail = attempt.output.decode("utf-8", "replace").strip().splitlines()[-3:]
        return "error", "the worker failed to start: " + (
            " | ".join(tail) or f"exit code {code}"
        )
    if code is not None and code > 128:  # unshare / bwrap report a signal this way
        code = 128 - code
    if code == -signal.SIGXCPU:
        return "timeout", "reached the CPU time limit"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "crashed", f"was killed by {name}"
    return "exited", f"exited (code {code}) without finishing"


def _watch(
    process: subprocess.Popen,
    read_fd: int,
    out_read: int,
    limits: Limits,
    budget: float,
    attempt: Attempt,
) -> None:
    start = time.monotonic()
    notebook_deadline = start + budget
    cell_start = start
    output_cap = limits.output_kib * 1024
    result_cap = limits.result_mib * 2**20
    received = 0
    lines = Lines(result_cap)
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "result")
    selector.register(out_read, selectors.EVENT_READ, "output")
    open_fds = 2
    while open_fds:
        now = time.monotonic()
        cell_deadline = (
            cell_start + limits.cell_seconds if attempt.ready else (start + 60)
        )  # start-up is the grader's cost, not the student's
        deadline = min(cell_deadline, notebook_deadline)
        if now >= deadline:
            if not attempt.ready:
                attempt.fatal = ("error", "the worker did not start within 60 s")
            elif now >= notebook_deadline:
                attempt.fatal = (
                    "timeout",
                    f"used up the notebook time limit ({limits.notebook_seconds:g} s)",
                )
            else:
                attempt.fatal = (
                    "timeout",
                    f"ran longer than the limit of {limits.cell_seconds:g} s per cell",
                )
            return
        for key, _ in selector.select(timeout=deadline - now):
            chunk = os.read(key.fd, 1 << 20)
            if not chunk:
                selector.unregister(key.fd)
                open_fds -= 1
                continue
            if key.data == "output":
                if len(attempt.output) < output_cap:
                    attempt.output += chunk[: output_cap - len(attempt.output)]
                continue
            received += len(chunk)
            if received > result_cap:
                attempt.fatal = ("crashed", "sent more check data than allowed")
                return
            for line in lines.feed(chunk):
                message = parse_message(line)
                if message is None:
                    continue
                if message.get("event") == "cell":
                    if attempt.advance(message.get("index")):
                        cell_start = time.monotonic()
                    continue
                if _take(message, attempt):
                    return


def _take(message: dict, attempt: Attempt) -> bool:
    """Record one message; ``True`` when the worker has nothing more to say."""
    event, index = message.get("event"), message.get("index")
    if event == "ready":
        attempt.ready = True
    elif event == "error" and type(index) is int:
        attempt.errors.setdefault(index, plain_text(message.get("error", "")))
    elif event == "course code" and type(index) is int:
        attempt.course_code.setdefault(index, plain_text(message.get("name", ""), 80))
    elif (
        event == "probe"
        and isinstance(message.get("exercise"), str)
        and index == attempt.last_cell
    ):
        attempt.probes.setdefault(message["exercise"], (index, message.get("data")))
    elif event == "fatal" and index == attempt.last_cell:
        kind = "memory" if message.get("kind") == "memory" else "exited"
        what = "ran out of memory" if kind == "memory" else "stopped the worker"
        attempt.fatal = (kind, f"{what} ({plain_text(message.get('error', ''))})")
        return True
    elif event == "done":
        attempt.done = True
        return True
    return False


def _failed(number: str, line: str) -> Verdict:
    exercise = exercises.get(number)
    return Verdict(number, exercise.title, "failed", 0, exercise.points, [line])


def _judge(number: str, data: object) -> Verdict:
    try:
        verdict = exercises.judge(exercises.get(number), data)
    except Exception as error:  # fail closed: a verdict we cannot reach is a fail
        name = type(error).__name__
        return _failed(number, f"The answer could not be judged ({name}).")
    # A judge may quote the student's value: keep it writable (no lone surrogate).
    verdict.lines = [
        line.encode("utf-8", "backslashreplace").decode("utf-8")
        for line in verdict.lines
    ]
    return verdict


def grade_one(
    release: Release,
    student: str,
    path: Path | None,
    problem: str,
    sandbox: Sandbox,
    limits: Limits,
    slot: int,
) -> Result:
    """Grade one submission (``nnbook grade``): rebuild, run, judge, retry."""
    result = Result(student, path)
    started = time.monotonic()
    try:
        if path is None:
            raise Unreadable(problem)
        answers, result.notes = read_answers(release, path, limits.notebook_mib * 2**20)
    except Unreadable as error:
        result.worsen("unreadable", str(error))
        for number in release.exercises:
            result.verdicts[number] = _failed(number, f"Not graded: {error}.")
        return result
    cells = {c.index: c for c in release.cells}
    skip: set[int] = set()
    while True:
        undecided = [n for n in release.exercises if n not in result.verdicts]
        budget = limits.notebook_seconds - (time.monotonic() - started)
        if not undecided:
            break
        if budget <= 0.05:
            for number in undecided:
                result.verdicts[number] = _failed(
                    number,
                    "Not graded: the notebook time limit was used up before "
                    "this exercise ran.",
                )
            result.worsen(
                "timeout",
                f"exercise {', '.join(undecided)}: not run, the "
                f"notebook time limit ({limits.notebook_seconds:g} s) was "
                "used up",
            )
            break
        run = [
            c
            for c in release.cells
            if c.index not in skip and (c.kind != "check" or c.exercise in undecided)
        ]
        attempt = run_worker(sandbox, limits, run, answers, slot, budget)
        for index, error in attempt.errors.items():
            cell = cells.get(index)
            if cell is not None and cell.kind == "answer":
                result.cell_errors.setdefault(cell.exercise, [])
                if error not in result.cell_errors[cell.exercise]:
                    result.cell_errors[cell.exercise].append(error)
        for index, module in attempt.course_code.items():
            cell = cells.get(index)
            if cell is not None and cell.exercise in undecided:
                exercise = exercises.get(cell.exercise)
                line = course_code_message(exercise.answer, module)
                result.verdicts[cell.exercise] = _failed(cell.exercise, line)
        for number, (index, data) in attempt.probes.items():
            cell = cells.get(index) if type(index) is int else None
            if (
                number in undecided
                and number not in result.verdicts
                and cell is not None
                and cell.kind == "check"
                and cell.exercise == number
            ):
                result.verdicts[number] = _judge(number, data)
        if attempt.done or attempt.fatal is None:
            for number in release.exercises:
                if number not in result.verdicts:
                    result.verdicts[number] = _failed(
                        number, "No result came back from the check cell."
                    )
            break
        status, reason = attempt.fatal
        cell = cells.get(attempt.last_cell) if attempt.last_cell is not None else None
        if (
            status == "error"
            or cell is None
            or cell.exercise is None
            or (cell.exercise in result.verdicts)
        ):
            where = f"cell {cell.id}" if cell else "the notebook"
            result.worsen(status, f"{where} {reason}")
            for number in release.exercises:
                if number not in result.verdicts:
                    result.verdicts[number] = _failed(
                        number, f"Not graded: {where} {reason}."
                    )
            break
        where = (
            "answer cell" if cell.kind == "answer" else "check (calling your answer)"
        )
        result.worsen(status, f"exercise {cell.exercise}: its {where} {reason}")
        result.verdicts[cell.exercise] = _failed(
            cell.exercise, f"0 points: your {where} {reason}."
        )
        skip.add(cell.index)
    result.seconds = time.monotonic() - started
    return result


def grade_all(
    release: Release,
    submissions: list[tuple[str, Path | None, str]],
    sandbox: Sandbox,
    limits: Limits,
    jobs: int,
    progress: bool = True,
) -> list[Result]:
    """Grade every submission, ``jobs`` at a time, each in its own sandbox
    (``nnbook grade``). A progress bar goes to stderr. Results keep input order."""
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    total, finished = len(submissions), 0

    def one(item: tuple[str, Path | None, str]) -> Result:
        slot = slots.get()
        try:
            return grade_one(release, *item, sandbox, limits, slot)
        except Exception as error:  # a grader bug must still give a row
            result = Result(item[0], item[1])
            result.worsen("error", f"grader error: {type(error).__name__}: {error}")
            for number in release.exercises:
                result.verdicts[number] = _failed(number, "Not graded (grader error).")
            return result
        finally:
            slots.put(slot)

    def bar() -> None:
        if progress:
            width = 30
            filled = width * finished // max(total, 1)
            print(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {finished}/{total}",
                end="" if finished < total else "\n",
                file=sys.stderr,
                flush=True,
            )

    results: list[Result | None] = [None] * total
    bar()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, item): n for n, item in enumerate(submissions)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            finished += 1
            bar()
    return [r for r in results if r is not None]

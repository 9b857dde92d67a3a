"""The limits and the sandbox a submission's worker process runs in.

Three backends, best first (``--sandbox auto`` picks the first that works):

``bwrap``
    bubblewrap builds new pid, mount, network, IPC and UTS namespaces and a
    filesystem holding only the Python runtime, the installed packages and
    ``nnbook``, read-only, plus a size-limited tmpfs for the working directory and
    ``/tmp``; the worker then drops to an unprivileged uid.
``unshare``
    util-linux ``unshare`` makes the same namespaces; the worker builds the same
    filesystem itself (bind mounts and ``pivot_root``) before dropping privileges.
``none``
    no namespaces: resource limits, a process group and a temporary directory only.

In every backend the worker sets rlimits (address space, CPU time, processes,
file size, open files, no core dumps) and ``no_new_privs`` before any student code
runs, and the parent kills the whole process tree (the pid namespace dies with
its first process) on any limit or at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nnbook

MiB = 2**20
HOME = "/home/student"
UID_BASE = 61000  # uid/gid of parallel slot k is UID_BASE + k: no such user here
ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": HOME,
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",  # the same submission runs the same way every time
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Limits:
    """Every limit of ``nnbook grade``, with its default (each has a flag)."""

    cell_seconds: float = 30.0
    notebook_seconds: float = 300.0
    memory_mib: int = 2048
    processes: int = 64
    output_kib: int = 64  # student stdout/stderr kept for diagnostics; rest dropped
    file_size_mib: int = 32
    disk_mib: int = 128  # each of the two tmpfs: working directory and /tmp
    open_files: int = 256
    notebook_mib: int = 32  # a larger submission file is "unreadable"
    result_mib: int = 16  # plain data the worker may send back, in total

    def rlimits(self) -> dict[str, int]:
        """The rlimits the worker sets on itself (soft = hard)."""
        return {
            "RLIMIT_AS": self.memory_mib * MiB,
            "RLIMIT_CPU": int(self.notebook_seconds) + 1,
            "RLIMIT_NPROC": self.processes,
            "RLIMIT_FSIZE": self.file_size_mib * MiB,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }


@dataclass
class Sandbox:
    """The chosen backend and what it protects against (``nnbook grade``)."""

    backend: str  # "bwrap", "unshare" or "none"
    drop_uid: bool  # running as root: the worker switches to an unprivileged uid
    in_force: list[str] = field(default_factory=list)
    not_in_force: list[str] = field(default_factory=list)
    scratch: Path | None = None  # the grader's own temporary directory

    def report(self, limits: Limits) -> str:
        """The start-up report ``nnbook grade`` prints on stderr."""
        lines = [f"nnbook grade {nnbook.__version__}: sandbox = {self.backend}"]
        lines += ["  in force:     " + item for item in self.in_force]
        lines += ["  NOT in force: " + item for item in self.not_in_force]
        lines.append(
            f"  limits: {limits.cell_seconds:g} s per cell, {limits.notebook_seconds:g}"
            f" s per notebook, {limits.memory_mib} MiB memory, {limits.processes} "
            f"processes, {limits.file_size_mib} MiB per file, {limits.disk_mib} MiB "
            f"disk, {limits.open_files} open files, {limits.output_kib} KiB output kept"
        )
        return "\n".join(lines)

    def close(self) -> None:
        """Remove the grader's temporary directory (end of ``nnbook grade``)."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    # -- the worker process ------------------------------------------------------

    def command(self, python: str, worker: str, limits: Limits) -> list[str]:
        """The argv that starts one worker inside this sandbox."""
        run = [python, "-P", "-s", "-B", worker]
        if self.backend == "unshare":
            return [*unshare_args(), "--", *run]
        if self.backend == "bwrap":
            return [*bwrap_args(limits.disk_mib * MiB), "--", *run]
        return run

    def plan(self, limits: Limits, uid: int) -> dict:
        """What the worker must set up before running student code (JSON-ready)."""
        return {
            "backend": self.backend,
            "root": str(self.scratch / "root") if self.scratch else "",
            "binds": runtime_paths(),
            "home": HOME,
            "disk": limits.disk_mib * MiB,
            "uid": uid if self.drop_uid else None,
            "rlimits": limits.rlimits(),
        }


def runtime_paths() -> list[str]:
    """The host paths a worker needs, all mounted read-only: Python and nnbook."""
    paths = [
        "/usr",
        "/bin",
        "/lib",
        "/lib64",
        "/sbin",
        sys.base_prefix,
        sys.prefix,
        str(Path(nnbook.__file__).parent),
    ]
    paths += [
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
    ]
    return [p for p in dict.fromkeys(paths) if os.path.lexists(p)]


def unshare_args() -> list[str]:
    """util-linux unshare options: new pid, mount, network, IPC and UTS namespaces
    (and a user namespace when not root); the worker builds the filesystem."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [
        shutil.which("unshare") or "unshare",
        *user,
        "--mount",
        "--pid",
        "--net",
        "--ipc",
        "--uts",
        "--fork",
        "--kill-child",
    ]


def bwrap_args(disk: int) -> list[str]:
    """bubblewrap options: namespaces, the read-only runtime and two tmpfs of
    ``disk`` bytes (home and /tmp)."""
    args = [
        "bwrap",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    # The scratch tmpfs come first: the runtime may itself live under /tmp (a
    # clone there), and a tmpfs mounted after its bind would hide it.
    args += ["--size", str(disk), "--perms", "1777", "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--dir", "/home"]
    args += ["--size", str(disk), "--perms", "0700", "--tmpfs", HOME]
    made: set[str] = {"/", "/tmp", "/home", HOME}
    for path in runtime_paths():
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind", path, path]
        made.add(path)
    return args + ["--chdir", "/"]


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def detect(requested: str = "auto") -> Sandbox:
    """Choose the best working backend (or the ``requested`` one) and describe it.

    Used by ``nnbook grade`` at start-up; the description is printed on stderr.
    Raises ``RuntimeError`` when a requested backend does not work here.
    """
    linux = sys.platform.startswith("linux")
    root = linux and os.geteuid() == 0
    order = ["bwrap", "unshare", "none"] if requested == "auto" else [requested]
    chosen = None
    for backend in order:
        if backend == "none":
            chosen = "none"
        elif not linux or shutil.which(backend) is None:
            continue
        elif backend == "bwrap" and _works(
            ["bwrap", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "true"]
        ):
            chosen = "bwrap"
        elif backend == "unshare" and _works([*unshare_args(), "true"]):
            chosen = "unshare"
        if chosen:
            break
    if chosen is None:
        raise RuntimeError(f"the {requested} sandbox does not work on this machine")
    sandbox = Sandbox(chosen, drop_uid=root and chosen != "none")
    sandbox.scratch = Path(tempfile.mkdtemp(prefix="nnbook-grade-"))
    (sandbox.scratch / "root").mkdir()
    always = [
        "student code runs in a separate worker process, never in the grader",
        "checks are judged in the grader from plain JSON sent over a pipe",
        "rlimits: address space, CPU time, processes, file size, open files, core",
        "time limits per cell and per notebook (the process tree is killed)",
    ]
    sandbox.in_force += always
    if chosen == "none":
        sandbox.not_in_force += [
            "namespaces (bubblewrap/unshare unavailable): student code can read "
            "any file this user can, and use the network",
            "killing a process that left the process group",
        ]
    else:
        how = "bubblewrap" if chosen == "bwrap" else "util-linux unshare"
        sandbox.in_force += [
            f"namespaces by {how}: pid (killed as a whole), mount, network (none), "
            "IPC, UTS",
            "filesystem: Python, packages and nnbook read-only; nothing else of the "
            "host (no solutions/, no other submission); tmpfs home and /tmp",
        ]
        if chosen == "unshare":
            sandbox.not_in_force.append(
                "bubblewrap (not installed): the unshare backend gives the same "
                "isolation, built by the worker itself"
            )
    if sandbox.drop_uid:
        sandbox.in_force.append(
            f"privileges dropped: uid/gid {UID_BASE}+slot, no capabilities, "
            "no_new_privs, nosuid mounts"
        )
    elif not root:
        sandbox.not_in_force.append(
            "uid drop (the grader does not run as root): student code runs as you"
            + (" inside a user namespace" if chosen != "none" else "")
        )
        if chosen == "none":
            sandbox.not_in_force.append("RLIMIT_NPROC counts all your processes")
    else:
        sandbox.not_in_force.append(
            "uid drop and RLIMIT_NPROC (root without namespaces: both are ignored)"
        )
    return sandbox


def limits_dict(limits: Limits) -> dict:
    """The limits as recorded in ``grading.json``."""
    return asdict(limits)

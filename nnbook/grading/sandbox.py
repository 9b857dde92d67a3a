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
file size, open files, no core dumps), ``no_new_privs`` and a seccomp filter
(no new namespaces, no keyring, no mounts, no memfd: see
:mod:`nnbook.grading.worker`) before any student code runs, and the parent kills
the whole process tree (the pid namespace dies with its first process) on any
limit or at the end. Where the grader may create cgroups (v2, or v1 memory and
pids controllers), each worker runs in its own: the kernel then counts every
page it uses (tmpfs and page cache included) against ``--memory`` plus the two
tmpfs, and its processes against ``--processes``.

The worker sees a filtered copy of ``nnbook`` (:func:`build_view`): no
``nnbook.nn``, no chapter exercise modules (their reference implementations) and
no ``nnbook.grading``; it gets the cases' inputs as plain data in its plan.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nnbook

MiB = 2**20
HOME = "/home/student"
UID_BASE = 61000  # uid/gid of parallel slot k is UID_BASE + k: no such user here
WORKER_DIR = "/opt/nnbook-grader"  # where the worker script is, inside bwrap
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PREFIX = "nnbook-grade-"
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
    seccomp: bool = False  # the worker installs its seccomp filter
    cgroups: Cgroups | None = None  # one cgroup per worker, where the kernel allows

    def report(self, limits: Limits) -> str:
        """The start-up report ``nnbook grade`` prints on stderr."""
        lines = [f"nnbook grade {nnbook.__version__}: sandbox = {self.backend}"]
        lines += ["  in force:     " + item for item in self.in_force]
        if self.cgroups is not None:
            lines.append("  in force:     " + self.cgroups.describe(limits))
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
        if self.cgroups is not None:
            self.cgroups.sweep()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    # -- the worker process ------------------------------------------------------

    @property
    def view(self) -> Path:
        """The filtered copy of nnbook and the worker script (see build_view)."""
        assert self.scratch is not None
        return self.scratch / "view"

    def command(
        self, python: str, limits: Limits, cgroup: list[Path] = ()
    ) -> list[str]:
        """The argv that starts one worker inside this sandbox (inside ``cgroup``,
        the directories :meth:`Cgroups.create` made, when given)."""
        worker = str(self.view / "grader" / "worker.py")
        if self.backend == "bwrap":
            worker = WORKER_DIR + "/worker.py"
        run = [python, "-P", "-s", "-B", worker]
        if self.backend == "unshare":
            run = [*unshare_args(), "--", *run]
        elif self.backend == "bwrap":
            run = [*bwrap_args(limits.disk_mib * MiB, self.view), "--", *run]
        return Cgroups.enter(cgroup, run) if cgroup else run

    def plan(self, limits: Limits, uid: int) -> dict:
        """What the worker must set up before running student code (JSON-ready)."""
        return {
            "backend": self.backend,
            "root": str(self.scratch / "root") if self.scratch else "",
            "binds": [list(pair) for pair in mounts(self.view)],
            "home": HOME,
            "disk": limits.disk_mib * MiB,
            "uid": uid if self.drop_uid else None,
            "rlimits": limits.rlimits(),
            "seccomp": self.seccomp,
            # The filtered nnbook first on sys.path (also for a package found
            # through PYTHONPATH, which the worker's environment does not keep).
            "pythonpath": str(self.view)
            if self.backend == "none"
            else str(package_dir().parent),
        }


def package_dir() -> Path:
    """Where the ``nnbook`` package is (a checkout, or site-packages)."""
    return Path(nnbook.__file__).resolve().parent


# Always in the worker's nnbook: the checking API (exercise notebooks import
# ``check`` from it) and the plumbing notebooks' setup cells use.
ALWAYS_VISIBLE = ("nnbook", "nnbook.exercises", "nnbook.datasets", "nnbook.style")
# Never, whatever a notebook imports: the course's implementation, the
# exercises' reference code and the grader.
NEVER_VISIBLE = ("nnbook.nn", "nnbook.grading")


def hidden(relative: Path) -> bool:
    """Files of nnbook the worker may never see: byte code, the course's
    implementation (``nn.py``), the exercises' reference code (everything in
    ``exercises/`` but its ``__init__.py``, the checking code) and the grader."""
    parts = relative.parts
    if "__pycache__" in parts or relative.suffix in (".pyc", ".pyo"):
        return True
    if parts[0] in ("grading", "nn.py", "nn"):
        return True
    return parts[0] == "exercises" and parts[1:] != ("__init__.py",)


def _module_file(name: str) -> Path | None:
    """The file of module ``nnbook.x.y`` in the package, if there is one."""
    parts = name.split(".")[1:]
    base = package_dir().joinpath(*parts)
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def nnbook_imports(source: str) -> set[str]:
    """The ``nnbook`` modules a piece of Python source imports (by ``import``,
    ``from nnbook.x import y`` or ``from nnbook import x``)."""
    from nnbook.grading.worker import strip_magics

    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:  # not Python: the names that look imported
        pattern = r"^\s*(?:from|import)\s+(nnbook(?:\.\w+)*)"
        return set(re.findall(pattern, source, re.MULTILINE))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n == "nnbook" or n.startswith("nnbook.")}


def visible_modules(sources: list[str] = ()) -> set[str]:
    """The nnbook modules the worker's copy holds: :data:`ALWAYS_VISIBLE`, those
    the release's own cells (``sources``) import, and what those import in turn;
    never the ones :func:`hidden` names."""
    wanted = set(ALWAYS_VISIBLE)
    for source in sources:
        wanted |= nnbook_imports(source)
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        relative = path.relative_to(package_dir())
        if hidden(relative) or name.startswith(NEVER_VISIBLE):
            continue
        seen.add(name)
        for parent in range(1, name.count(".") + 1):  # a module's packages
            wanted.add(".".join(name.split(".")[:parent]))
        wanted |= nnbook_imports(path.read_text(encoding="utf-8"))
    return seen


def build_view(view: Path, sources: list[str] = ()) -> set[str]:
    """Fill ``view``: ``view/nnbook`` holds the modules :func:`visible_modules`
    allows (and the package's data files), ``view/grader/worker.py`` the worker
    script. Mounted read-only over the package's own path inside the sandbox
    (first on ``sys.path`` with no sandbox), so a learner's code importing
    ``nnbook.nn`` or a chapter's exercise module finds nothing. Returns the
    modules it holds."""
    source = package_dir()
    modules = visible_modules(list(sources))
    keep = {_module_file(name) for name in modules}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or hidden(relative) or not path.is_file():
            continue
        if path.suffix == ".py" and path not in keep:
            continue
        target = view / "nnbook" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (view / "grader").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "grading" / "worker.py", view / "grader" / "worker.py")
    for path in [view, *view.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return modules


def mounts(view: Path) -> list[tuple[str, str]]:
    """(host path, path in the sandbox) pairs, all read-only: Python, the
    packages, the filtered nnbook over the real one, and the worker script."""
    pairs = [(path, path) for path in runtime_paths()]
    pairs.append((str(view / "nnbook"), str(package_dir())))
    pairs.append((str(view / "grader"), WORKER_DIR))
    return pairs


def runtime_paths() -> list[str]:
    """The host paths a worker needs, all mounted read-only: Python and packages
    (nnbook itself is mounted from the filtered view, see :func:`mounts`)."""
    paths = [
        "/usr",
        "/bin",
        "/lib",
        "/lib64",
        "/sbin",
        sys.base_prefix,
        sys.prefix,
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


def bwrap_args(disk: int, view: Path | None = None) -> list[str]:
    """bubblewrap options: namespaces, the read-only runtime (with the filtered
    ``view`` of nnbook) and two tmpfs of ``disk`` bytes (home and /tmp)."""
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
    pairs = mounts(view) if view is not None else [(p, p) for p in runtime_paths()]
    for source, path in pairs:
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        if os.path.islink(source):
            args += ["--symlink", os.readlink(source), path]
        else:
            args += ["--ro-bind", source, path]
        made.add(path)
    return args + ["--chdir", "/"]


class Cgroups:
    """One cgroup per worker, made by the grader under its own cgroup: v2 (memory
    and pids controllers), or v1 (the memory and pids hierarchies).

    ``memory`` is ``--memory`` plus twice ``--disk`` (the two tmpfs): the kernel
    counts every page a worker's processes use, tmpfs, memfd and page cache
    included, and the OOM killer ends the worker past it. ``pids`` is
    ``--processes`` plus the few processes of the sandbox itself.
    """

    _names = itertools.count()

    def __init__(self, version: int, bases: dict[str, Path]) -> None:
        self.version = version
        self.bases = bases  # controller ("unified" for v2) -> the parent cgroup

    @classmethod
    def detect(cls) -> Cgroups | None:
        """The cgroups this grader may create, or ``None``."""
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        own: dict[str, str] = {}
        for line in lines:
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path.lstrip("/")
        found = None
        if (CGROUP_ROOT / "cgroup.controllers").exists() and "" in own:
            base = CGROUP_ROOT / own[""]
            try:
                control = base / "cgroup.subtree_control"
                if not {"memory", "pids"} <= set(control.read_text().split()):
                    control.write_text("+memory +pids")
                found = cls(2, {"unified": base})
            except OSError:
                return None
        elif all(
            c in own and (CGROUP_ROOT / c / "cgroup.procs").exists()
            for c in ("memory", "pids")
        ):
            found = cls(1, {c: CGROUP_ROOT / c / own[c] for c in ("memory", "pids")})
        if found is None:
            return None
        found.sweep()
        try:
            found.remove(found.create(Limits()))
        except OSError:
            return None
        return found

    def memory_bytes(self, limits: Limits) -> int:
        return (limits.memory_mib + 2 * limits.disk_mib) * MiB

    def create(self, limits: Limits) -> list[Path]:
        """Make one worker's cgroup(s), with its limits; raises ``OSError``."""
        name = f"{CGROUP_PREFIX}{os.getpid()}-{next(self._names)}"
        made: list[Path] = []
        memory, pids = str(self.memory_bytes(limits)), str(limits.processes + 8)
        try:
            for controller, base in self.bases.items():
                path = base / name
                path.mkdir()
                made.append(path)
                if self.version == 2:
                    (path / "memory.max").write_text(memory)
                    if (path / "memory.swap.max").exists():
                        (path / "memory.swap.max").write_text("0")
                    (path / "pids.max").write_text(pids)
                elif controller == "memory":
                    (path / "memory.limit_in_bytes").write_text(memory)
                    if (path / "memory.memsw.limit_in_bytes").exists():
                        (path / "memory.memsw.limit_in_bytes").write_text(memory)
                else:
                    (path / "pids.max").write_text(pids)
        except OSError:
            self.remove(made)
            raise
        return made

    @staticmethod
    def enter(paths: list[Path], argv: list[str]) -> list[str]:
        """``argv`` started by a shell that first moves itself into ``paths``
        (so that nothing of the worker ever runs outside them)."""
        script = " && ".join(
            [f'echo $$ > "${n + 1}/cgroup.procs"' for n in range(len(paths))]
            + [f"shift {len(paths)}", 'exec "$@"']
        )
        return ["/bin/sh", "-c", script, "sh", *map(str, paths), *argv]

    def oom_killed(self, paths: list[Path]) -> bool:
        """Whether the kernel's OOM killer ended a process of these cgroups."""
        for path in paths:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    text = (path / name).read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip() not in ("", "0"):
                        return True
        return False

    def remove(self, paths: list[Path]) -> None:
        """Remove a worker's cgroups once its processes are gone."""
        for path in paths:
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)

    def sweep(self) -> None:
        """Remove cgroups a grader that no longer runs left behind (killed)."""
        for base in self.bases.values():
            for path in base.glob(CGROUP_PREFIX + "*"):
                try:
                    pid = int(path.name[len(CGROUP_PREFIX) :].split("-")[0])
                except ValueError:
                    continue
                if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
                    self.remove([path])

    def describe(self, limits: Limits) -> str:
        where = "v2" if self.version == 2 else "v1 (memory, pids)"
        return (
            f"cgroup {where} per worker: {self.memory_bytes(limits) // MiB} MiB of "
            "memory (--memory + 2 x --disk; tmpfs, memfd and page cache count), "
            f"{limits.processes + 8} tasks"
        )


def seccomp_available() -> bool:
    """Whether the worker can install its seccomp filter on this machine."""
    from nnbook.grading.worker import SECCOMP_ARCH

    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    return os.uname().machine in SECCOMP_ARCH and "Seccomp:" in status


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def detect(requested: str = "auto", sources: list[str] = ()) -> Sandbox:
    """Choose the best working backend (or the ``requested`` one) and describe it.

    ``sources`` are the release's own code cells: the nnbook modules they import
    are put in the worker's copy of nnbook (see :func:`build_view`). Used by
    ``nnbook grade`` at start-up; the description is printed on stderr. Raises
    ``RuntimeError`` when a requested backend does not work here.
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
    modules = build_view(sandbox.view, sources)
    always = [
        "student code runs in a separate worker process, never in the grader",
        "checks are judged in the grader from plain JSON sent over a pipe",
        "the worker gets the cases' inputs only: no reference implementation, no "
        "expected value; its nnbook holds only "
        + ", ".join(sorted(modules))
        + " (importing nnbook.nn, a chapter's exercise module or the grader "
        "fails, and scores 0)",
        "rlimits: address space, CPU time, processes, file size, open files, core",
        "time limits per cell and per notebook (the process tree is killed); "
        "a cell's timer restarts only when the worker reaches the next cell",
    ]
    sandbox.in_force += always
    if linux and seccomp_available():
        sandbox.seccomp = True
        sandbox.in_force.append(
            "seccomp filter: no new namespaces (user, mount, ...: unshare, setns, "
            "clone flags), no kernel keyring (add_key, request_key, keyctl), no "
            "mounts, no memfd_create, no bpf, userfaultfd, perf_event_open, io_uring"
        )
    else:
        sandbox.not_in_force.append(
            "seccomp filter (not available here): student code may create user "
            "namespaces, memfd files and keyring entries"
        )
    sandbox.cgroups = Cgroups.detect() if linux else None
    if sandbox.cgroups is None:
        sandbox.not_in_force.append(
            "cgroups (none this grader may create): memory is limited by "
            "RLIMIT_AS and the tmpfs sizes, processes by RLIMIT_NPROC"
        )
    if chosen == "none":
        sandbox.not_in_force += [
            "namespaces (bubblewrap/unshare unavailable): student code can read "
            "any file this user can (the course's own code included), and use "
            "the network",
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

"""The worker ``nnbook grade`` starts for one submission (run as a script).

It reads its plan (sandbox, limits, the rebuilt notebook's code cells and, for
each exercise, the cases' *inputs* as plain data) as JSON on stdin, finishes the
sandbox (filesystem, privileges, rlimits, seccomp filter), then runs the cells in
order with plain ``exec``. At each check cell it calls
:func:`nnbook.exercises.run_probe` and writes the plain data, one JSON object per
line, to the pipe whose descriptor is its first argument. It never judges: the
grader does, in its own process. The worker holds no reference implementation
and no expected value, and its view of ``nnbook`` has no ``nnbook.nn``, no
chapter exercise modules and no ``nnbook.grading`` (an import of them fails with
a message saying why). Only the standard library is imported before the sandbox
is in place; this file is run from a copy outside the package.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import signal
import sys
import types

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND = 32, 4096
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS = 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
MAX_TEXT = 300

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(
    source: str | None,
    target: str,
    kind: str | None,
    flags: int,
    data: str | None = None,
) -> None:
    _check(
        _libc.mount(
            *(s.encode() if s else None for s in (source, target, kind)),
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _bind(root: str, path: str, source: str | None = None) -> None:
    target = root + path
    source = source or path
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "w").close()
    _mount(source, target, None, MS_BIND)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(plan: dict) -> None:
    """unshare backend: a new root holding only the runtime, then ``pivot_root``."""
    root = plan["root"]
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    # Scratch tmpfs before the binds: a runtime under /tmp must stay visible.
    size = plan["disk"]
    os.makedirs(root + "/tmp")
    _mount(
        "tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777"
    )
    os.makedirs(root + plan["home"])
    _mount(
        "tmpfs",
        root + plan["home"],
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={size},mode=0700",
    )
    for source, path in plan["binds"]:
        _bind(root, path, source)
    os.makedirs(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/dev")
    for name in ("null", "zero", "full", "random", "urandom"):
        open(f"{root}/dev/{name}", "w").close()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    os.chdir(root)
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is not None:
        _check(_libc.syscall(number, b".", b"."), "pivot_root")
        _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    else:  # chroot is enough once privileges are dropped below
        os.chroot(".")
    os.chdir("/")


def enter_sandbox(plan: dict) -> None:
    """Finish the sandbox: filesystem, rlimits, no_new_privs, unprivileged uid."""
    if plan["backend"] == "unshare":
        build_root(plan)
    home = plan["home"] if plan["backend"] != "none" else os.getcwd()
    if plan["uid"] is not None:
        os.chown(home, plan["uid"], plan["uid"])
    for name, value in plan["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if plan["uid"] is not None:
        uid = plan["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise RuntimeError("could not drop privileges")
    os.chdir(home)
    # Writing past RLIMIT_FSIZE then fails with an error instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if plan.get("seccomp"):
        install_seccomp()
    if plan.get("pythonpath"):  # the none backend: the filtered view of nnbook
        sys.path.insert(0, plan["pythonpath"])


# -- the seccomp filter -------------------------------------------------------------

# System calls graded code never needs, by architecture: new namespaces (a user
# namespace would let it mount a tmpfs of its own, past --disk and --memory),
# the kernel keyring (shared by every worker: data would outlive the run),
# mounts, memfd files (memory outside RLIMIT_AS), bpf, userfaultfd,
# perf_event_open, io_uring, modules, kexec, reboot and swap. clone3 answers
# ENOSYS (its flags cannot be inspected; the C library falls back to clone), and
# clone with a namespace flag EPERM.
SECCOMP_ARCH = {
    # machine: (AUDIT_ARCH, {name: number}, clone, clone3)
    "x86_64": (
        0xC000003E,
        {
            "unshare": 272, "setns": 308, "add_key": 248, "request_key": 249,
            "keyctl": 250, "memfd_create": 319, "mount": 165, "umount2": 166,
            "pivot_root": 155, "open_tree": 428, "move_mount": 429, "fsopen": 430,
            "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
            "bpf": 321, "userfaultfd": 323, "perf_event_open": 298,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "kexec_load": 246, "init_module": 175, "finit_module": 313,
            "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168,
        },
        56,
        435,
    ),
    "aarch64": (
        0xC00000B7,
        {
            "unshare": 97, "setns": 268, "add_key": 217, "request_key": 218,
            "keyctl": 219, "memfd_create": 279, "mount": 40, "umount2": 39,
            "pivot_root": 41, "open_tree": 428, "move_mount": 429, "fsopen": 430,
            "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
            "bpf": 280, "userfaultfd": 282, "perf_event_open": 241,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "kexec_load": 104, "init_module": 105, "finit_module": 273,
            "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225,
        },
        220,
        435,
    ),
}  # fmt: skip
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID and NEWNET
NAMESPACE_FLAGS = 0x7E020000
X32_BIT = 0x40000000
EPERM, ENOSYS = 1, 38
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO, RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(machine: str) -> list[tuple[int, int, int, int]]:
    """The classic BPF program of the worker's seccomp filter for ``machine``."""
    arch, denied, clone, clone3 = SECCOMP_ARCH[machine]
    program = [
        (LD_ABS, 0, 0, 4),  # seccomp_data.arch
        (JEQ, 1, 0, arch),
        (RET, 0, 0, RET_KILL),  # another ABI: not for graded code
        (LD_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":  # the x32 ABI numbers the same calls differently
        program += [(JGE, 0, 1, X32_BIT), (RET, 0, 0, RET_ERRNO | EPERM)]
    for number in sorted(denied.values()):
        program += [(JEQ, 0, 1, number), (RET, 0, 0, RET_ERRNO | EPERM)]
    program += [(JEQ, 0, 1, clone3), (RET, 0, 0, RET_ERRNO | ENOSYS)]
    program += [
        (JEQ, 0, 3, clone),
        (LD_ABS, 0, 0, 16),  # the low 32 bits of clone's flags (args[0])
        (JSET, 0, 1, NAMESPACE_FLAGS),
        (RET, 0, 0, RET_ERRNO | EPERM),
        (RET, 0, 0, RET_ALLOW),
    ]
    return program


def install_seccomp() -> None:
    """Install the filter (after no_new_privs; inherited by every child)."""
    machine = os.uname().machine
    if machine not in SECCOMP_ARCH:
        raise OSError(f"no seccomp filter for {machine}")
    program = seccomp_program(machine)
    filters = (_SockFilter * len(program))(*(_SockFilter(*i) for i in program))
    fprog = _SockFprog(len(program), filters)
    _check(
        _libc.prctl(
            PR_SET_SECCOMP,
            ctypes.c_ulong(SECCOMP_MODE_FILTER),
            ctypes.byref(fprog),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        ),
        "seccomp",
    )


# -- the course's own code is not importable -----------------------------------------

COURSE_CODE = ("nnbook.nn", "nnbook.grading", "nnbook.exercises.")


class CourseCodeFinder:
    """First on ``sys.meta_path``: importing the course's implementation (or the
    grader) fails with a message saying why, and the attempt is recorded."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None):
        if name in COURSE_CODE[:2] or name.startswith(
            (COURSE_CODE[0] + ".", COURSE_CODE[1] + ".", COURSE_CODE[2])
        ):
            self.attempts.append(name)
            raise ImportError(
                f"{name} is the course's own implementation: graded code cannot "
                "use it; write your own",
                name=name,
            )
        return None


_LINE_MAGIC = re.compile(r"^(\s*)(?:(\w+)\s*=\s*)?[%!](.*)$")
_KEEP_CELL_MAGICS = {"time", "timeit", "capture"}


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes become ``pass`` (there is no IPython here);
    ``x = !ls`` becomes ``x = None``. A ``%%`` cell magic other than time, timeit
    or capture drops the whole cell."""
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        name = lines[0][2:].split(" ")[0]
        if name not in _KEEP_CELL_MAGICS:
            return ""
        lines = lines[1:]
    out = []
    for line in lines:
        match = _LINE_MAGIC.match(line)
        if match is None:
            out.append(line)
        else:
            indent, name, rest = match.groups()
            out.append(f"{indent}{name + ' = None' if name else 'pass'}  # {rest}")
    return "\n".join(out)


def compile_cell(source: str, name: str) -> types.CodeType:
    """Compile a cell; only a cell that is not plain Python loses its magics."""
    try:
        return compile(source, name, "exec")
    except SyntaxError:
        return compile(strip_magics(source), name, "exec")


def describe_error(error: BaseException) -> str:
    """``Type: message`` in one short line (never a traceback), in plain ASCII
    escapes for anything unusual (a lone surrogate cannot break the JSON)."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:
        text = f"{type(error).__name__}: (message cannot be shown)"
    text = " ".join(text.split())[:MAX_TEXT]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def main() -> None:
    """Set up the sandbox, then run the plan's cells and report over the pipe."""
    result_fd = int(sys.argv[1])
    plan = json.loads(sys.stdin.read())
    enter_sandbox(plan["sandbox"])

    # Everything the loop needs is bound now, before student code can patch it.
    blocker = CourseCodeFinder()
    sys.meta_path.insert(0, blocker)
    import nnbook.exercises
    from nnbook.exercises import run_probe

    nnbook.exercises.unavailable_hook = blocker.attempts.append

    exercises = plan["exercises"]  # inputs only: no reference, no expected value
    dumps, write, getpid, exit_now = json.dumps, os.write, os.getpid, os._exit
    me = getpid()

    def send(message: dict) -> None:
        if getpid() != me:  # a process the student forked never speaks for us
            exit_now(0)
        data = (dumps(message) + "\n").encode()
        while data:
            data = data[write(result_fd, data) :]

    namespace = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    sys.stdin = open(os.devnull)
    send({"event": "ready"})
    for cell in plan["cells"]:
        index = cell["index"]
        send({"event": "cell", "index": index})
        try:
            if cell["kind"] == "check":
                data = run_probe(exercises[cell["exercise"]], namespace)
                try:
                    send(
                        {
                            "event": "probe",
                            "index": index,
                            "exercise": cell["exercise"],
                            "data": data,
                        }
                    )
                except (TypeError, ValueError):
                    send(
                        {
                            "event": "probe",
                            "index": index,
                            "exercise": cell["exercise"],
                            "data": None,
                        }
                    )
            else:
                exec(compile_cell(cell["source"], f"<cell {cell['id']}>"), namespace)
        except MemoryError as error:
            send(
                {
                    "event": "fatal",
                    "index": index,
                    "kind": "memory",
                    "error": describe_error(error),
                }
            )
            exit_now(3)
        except Exception as error:
            send({"event": "error", "index": index, "error": describe_error(error)})
        except BaseException as error:  # sys.exit(), KeyboardInterrupt, ...
            send(
                {
                    "event": "fatal",
                    "index": index,
                    "kind": "exit",
                    "error": describe_error(error),
                }
            )
            exit_now(3)
        if getpid() != me:
            exit_now(0)
        while blocker.attempts:
            name = str(blocker.attempts.pop(0))[:MAX_TEXT]
            send({"event": "course code", "index": index, "name": name})
    send({"event": "done"})
    exit_now(0)


if __name__ == "__main__":
    main()

"""The worker ``nnbook grade`` starts for one submission (run as a script).

It reads its plan (sandbox, limits, the rebuilt notebook's code cells) as JSON on
stdin, finishes the sandbox (filesystem, privileges, rlimits), then runs the cells
in order with plain ``exec``. At each check cell it calls
:func:`nnbook.exercises.probe` and writes the plain data, one JSON object per
line, to the pipe whose descriptor is its first argument. It never judges: the
grader does, in its own process. Only the standard library is imported before
the sandbox is in place.
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


def _bind(root: str, path: str) -> None:
    target = root + path
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.islink(path):
        os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        open(target, "w").close()
    _mount(path, target, None, MS_BIND)
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
    for path in plan["binds"]:
        _bind(root, path)
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
    """``Type: message`` in one short line (never a traceback)."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:
        text = f"{type(error).__name__}: (message cannot be shown)"
    text = " ".join(text.split())
    return text[:MAX_TEXT]


def main() -> None:
    """Set up the sandbox, then run the plan's cells and report over the pipe."""
    result_fd = int(sys.argv[1])
    plan = json.loads(sys.stdin.read())
    enter_sandbox(plan["sandbox"])

    # Everything the loop needs is bound now, before student code can patch it.
    from nnbook.exercises import probe, registry

    exercises = registry()
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
                data = probe(exercises[cell["exercise"]], namespace)
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
    send({"event": "done"})
    exit_now(0)


if __name__ == "__main__":
    main()

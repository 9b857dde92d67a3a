"""Kernels forked from a process that has already imported the book's libraries.

A chapter's kernel spends about 1.3 s of CPU before its first line runs:
ipykernel itself, then NumPy, matplotlib and SymPy in the chapter's first cell.
Twelve chapters pay it twelve times in a clean build. Here a warm process
(multiprocessing's fork server) imports those libraries once; each kernel is a
fork of it, so every chapter still runs in a fresh process of its own (nothing one
notebook does reaches another), on the same interpreter and the same libraries,
and starts with them imported.

Only the book build uses these kernels (:mod:`nnbook.offline`). JupyterLab, nbval,
``nnbook execute`` and the grader start kernels the usual way.

:class:`WarmProvisioner` is a jupyter_client kernel provisioner: the kernel
manager, and so nbclient, see an ordinary local kernel. Where the kernel spec is
not this interpreter's own ipykernel, it starts the kernel the usual way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import uuid

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

# Imported by the warm process before it forks. Libraries whose import looks for
# a running IPython (ipywidgets, the inline backend) are left to the kernel.
PRELOAD = [
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "sympy",
    "PIL.Image",
    "ipykernel.kernelapp",
]
# What ipykernel sets before matplotlib is imported; the warm process imports
# matplotlib, which reads it then.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

_lock = threading.Lock()
_context = None


def _forkserver():
    """The fork server context, started on first use with the preloaded imports.

    It inherits the environment of that moment (one BLAS thread per kernel, the
    static-frame switch): :class:`nnbook.offline.ParallelExecution` sets both first.
    """
    global _context
    with _lock:
        if _context is None:
            from multiprocessing import forkserver

            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            saved = os.environ.get("MPLBACKEND")
            os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
            try:
                forkserver.ensure_running()  # it inherits the environment now
            finally:
                if saved is None:
                    del os.environ["MPLBACKEND"]
            _context = context
        return _context


def available() -> bool:
    """Whether this platform can fork kernels (not on Windows)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def _kernel_main(argv: list[str], cwd: str | None, env: dict) -> None:
    """The forked kernel: the environment and folder a launched one would get, then
    ipykernel's own start (``python -m ipykernel_launcher ARGV``)."""
    os.setsid()  # its own process group, like a kernel jupyter_client launches
    os.environ.clear()
    os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    from ipykernel.kernelapp import IPKernelApp

    # IPKernelApp read JPY_PARENT_PID when the warm process imported it: say it
    argv = [*argv, f"--IPKernelApp.parent_handle={env['JPY_PARENT_PID']}"]
    sys.argv = ["ipykernel_launcher", *argv]
    IPKernelApp.launch_instance(argv=argv)


class _Forked:
    """A forked kernel with the parts of :class:`subprocess.Popen` the provisioner
    uses."""

    stdin = stdout = stderr = None

    def __init__(self, process):
        self.process = process
        self.pid = process.pid

    def poll(self):
        return None if self.process.is_alive() else self.process.exitcode

    def wait(self, timeout=None):
        self.process.join(timeout)
        return self.poll()

    def send_signal(self, signum):
        if self.process.is_alive():
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def launcher_arguments(cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` in ``cmd`` when
    ``python`` is this interpreter; None for any other kernel command."""
    if (
        len(cmd) >= 3
        and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
        and cmd[1:3] == ["-m", "ipykernel_launcher"]
    ):
        return cmd[3:]
    return None


class WarmProvisioner(LocalProvisioner):
    """Starts this interpreter's ipykernel as a fork of the warm process."""

    async def launch_kernel(self, cmd, **kwargs):
        argv = launcher_arguments(cmd)
        if argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets
        process = _forkserver().Process(
            target=_kernel_main,
            args=(argv, kwargs.get("cwd"), env),
            name="nnbook-kernel",
        )
        process.start()
        self.process = _Forked(process)
        self.pid = process.pid
        self.pgid = None  # signals go to the kernel alone, never to our group
        self.cwd = kwargs.get("cwd")
        return self.connection_info


class WarmKernelManager(AsyncKernelManager):
    """An async kernel manager whose kernel starts warm (nbclient's
    ``kernel_manager_class``: nbclient then owns it, and shuts it down)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kernel_id = self.kernel_id or str(uuid.uuid4())
        self.provisioner = WarmProvisioner(
            kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
        )

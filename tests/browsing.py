"""What every browser test shares: Chromium's flags and executable, and a quiet
static server on 127.0.0.1 (tests/test_browser*.py, tests/test_jupyterlab.py)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Headless Chromium as root on a machine with no network: no sandbox, no GPU, and
# none of the background connections it would otherwise try at start-up.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def chromium_executable() -> str:
    """Debian's Chromium; installed with apt-get when missing and running as root,
    otherwise the calling test is skipped with the command that installs it."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "chromium"],
        ):
            subprocess.run(command, env=env, capture_output=True, check=False)
        if Path("/usr/bin/chromium").exists():
            return "/usr/bin/chromium"
    pytest.skip(
        "Chromium is missing and could not be installed: run "
        "`apt-get install -y chromium` as root, then the browser tests run"
    )


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to the test output."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class QuietServer(ThreadingHTTPServer):
    """A server that does not print a traceback when the browser drops a
    connection it no longer needs (a page closed while a picture was loading)."""

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) and yield its base URL."""
    httpd = QuietServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()

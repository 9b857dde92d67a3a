"""What every browser test shares: Chromium's flags and executable, and a quiet
static server on 127.0.0.1 (tests/test_browser*.py, tests/test_jupyterlab.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench.serving import CHROMIUM_FLAGS, serve  # noqa: E402, F401  (shared with bench)



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



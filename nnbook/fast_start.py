"""Start-up time of the ``nnbook`` and ``python -m nnbook.jb`` commands.

jsonschema, which Jupyter Book and nbformat import, also imports
``rfc3987_syntax`` when it is installed (jupyter-events asks for it) to check the
"iri" string format, and that package builds 38 grammars at import: 1.1 s before
a command does anything. No schema these commands read uses that format, so they
run without it: jsonschema then treats it as not installed. Learners' kernels
and JupyterLab keep it.
"""

from __future__ import annotations

import sys


def skip_iri_grammars() -> None:
    """Make ``import rfc3987_syntax`` fail at once in this process (call it before
    jsonschema is imported)."""
    sys.modules.setdefault("rfc3987_syntax", None)

"""The ``nnbook`` command.

``nnbook release`` makes exercises/ from solutions/; ``nnbook execute`` re-runs
notebooks in place to refresh their stored outputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnbook.release import ReleaseError, release


def _release(args: argparse.Namespace) -> int:
    try:
        changed = release(args.solutions, args.exercises, check_only=args.check)
    except ReleaseError as error:
        print(f"nnbook release: {error}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print(
                "Out of sync with solutions/: " + ", ".join(changed)
                + ". Run `nnbook release` (or `make release`) and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("exercises/ is in sync with solutions/.")
        return 0
    print(f"Wrote {len(changed)} exercise notebook(s)" + (": " + ", ".join(changed) if changed else "."))
    return 0


def _execute(args: argparse.Namespace) -> int:
    from nnbook.notebooks import execute_in_place

    for path in args.notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            print(f"nnbook execute: {path} is not a notebook file (*.ipynb)", file=sys.stderr)
            return 2
    for path in args.notebooks:
        print(f"executing {path}", file=sys.stderr)
        execute_in_place(path, timeout=args.timeout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser(
        "release", help="make exercises/ from solutions/ (solution regions become stubs)"
    )
    rel.add_argument("--solutions", type=Path, default=Path("solutions"))
    rel.add_argument("--exercises", type=Path, default=Path("exercises"))
    rel.add_argument(
        "--check", action="store_true", help="only report notebooks that are out of sync"
    )
    rel.set_defaults(run=_release)
    exe = commands.add_parser(
        "execute",
        help="run notebooks in place and store their outputs (for authors; nbval "
        "compares against what this stores)",
    )
    exe.add_argument("notebooks", type=Path, nargs="+")
    exe.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    exe.set_defaults(run=_execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

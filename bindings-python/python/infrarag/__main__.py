"""``python -m infrarag`` and the ``infrarag`` command the wheel installs:
the same command line as the Rust binary (``infrarag validate DIR``,
``infrarag checks``, ``infrarag --version``)."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from infrarag import _native


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns its exit status (0 clean, 1 findings,
    2 bad usage or an error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # What Python buffered goes out before the core writes to the same fds.
    sys.stdout.flush()
    sys.stderr.flush()
    return _native.cli(args)


if __name__ == "__main__":
    sys.exit(main())

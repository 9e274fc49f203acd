"""Runs the README's Python and Node quickstarts (the Rust one is a doctest
of the core crate), so the README cannot drift from the library."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_python_quickstart() -> None:
    (code,) = blocks("python")
    exec(compile(code, "README.md", "exec"), {})


def test_node_quickstart() -> None:
    (code,) = blocks("js")
    # console.assert only logs; make a failed assertion fail the run.
    prelude = "console.assert = (c, ...m) => { if (!c) { console.error('assertion failed', ...m); process.exitCode = 1 } };\n"
    subprocess.run(["node", "-e", prelude + code], cwd=ROOT, check=True)

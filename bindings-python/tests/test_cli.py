"""The `infrarag` command the wheel installs, and `python -m infrarag`:
the same command line as the Rust binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import infrarag

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = str(ROOT / "tests" / "fixtures" / "validate" / "references")


def run(*args: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = (command or [sys.executable, "-m", "infrarag"]) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_python_m_infrarag_runs_the_command_line() -> None:
    assert run("--version").stdout == f"infrarag {infrarag.__version__}\n"
    found = run("validate", REFERENCES, "--format", "json")
    assert found.returncode == 1 and '"undeclared_variable"' in found.stdout
    assert run("validate", REFERENCES, "--soft-fail").returncode == 0
    nothing = run()
    assert nothing.returncode == 2 and "usage: infrarag validate" in nothing.stderr
    unknown = run("validate", REFERENCES, "--checks", "undeclared_variabel")
    assert unknown.returncode == 2 and "undeclared_variable" in unknown.stderr


def test_the_wheel_installs_an_infrarag_command() -> None:
    script = Path(sys.executable).parent / ("infrarag.exe" if os.name == "nt" else "infrarag")
    assert script.exists(), script
    ids = [line.split("\t")[0] for line in run("checks", command=[str(script)]).stdout.splitlines()]
    assert ids.count("CKV_AWS_18") == 1

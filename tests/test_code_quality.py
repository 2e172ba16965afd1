"""The code stays lint-clean and type-checks: ruff and mypy, configured in pyproject.toml.

Both are in the ``test`` extra, so a missing tool fails these tests instead of
skipping them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", "mediavault_dav", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_package() -> None:
    result = _run("mypy", "--cache-dir", "/dev/null", "mediavault_dav")
    assert result.returncode == 0, result.stdout + result.stderr

"""The README's promises stay true: CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _shell_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    blocks = _shell_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    test_command = next(block for block in blocks if "pytest" in block)
    assert test_command in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_start_command_uses_the_console_script_and_no_config() -> None:
    blocks = _shell_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    start = blocks[0]
    assert start.endswith("mediavault-dav serve")
    assert "--config" not in start and "DATABASE_URL" not in start

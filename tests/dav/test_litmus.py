"""The litmus WebDAV compliance suite against the gateway's ``/Files/``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, require_tool

pytestmark = pytest.mark.slow

SUITES = ("basic", "copymove", "props", "locks", "http")
_SUMMARY = re.compile(r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")


def test_litmus_passes_every_test_of_every_suite(gateway: Gateway, alice: Account, tmp_path: Path) -> None:
    litmus = require_tool("litmus")
    result = subprocess.run(
        [litmus, "-k", gateway.url.rstrip("/") + "/Files/", alice.username, PASSWORD],
        env={"TESTS": " ".join(SUITES), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=600, check=False,
        cwd=tmp_path,  # litmus writes debug.log and child.log into its working directory
    )
    output = result.stdout + result.stderr
    summaries = {suite: (int(run), int(passed), int(failed))
                 for suite, run, passed, failed in _SUMMARY.findall(output)}
    assert set(summaries) == set(SUITES), output
    failures = {suite: counts for suite, counts in summaries.items() if counts[2] or counts[0] != counts[1]}
    assert not failures, output
    assert result.returncode == 0, output
    # litmus skips tests whose preconditions fail; none may have been skipped.
    assert "SKIPPED" not in output, output

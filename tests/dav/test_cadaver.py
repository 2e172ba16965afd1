"""cadaver, the command-line WebDAV client, runs a scripted session against ``/Files/``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, propfind, require_tool

pytestmark = pytest.mark.slow

SCRIPT = """\
mkcol Reports
cd Reports
put q1.txt q1.txt
get q1.txt q1-downloaded.txt
propset q1.txt reviewer Ada
propget q1.txt reviewer
lock q1.txt
put q1-revised.txt q1.txt
unlock q1.txt
copy q1.txt q1-copy.txt
move q1-copy.txt q1-archived.txt
propget q1-archived.txt reviewer
put scratch.txt scratch.txt
delete scratch.txt
ls
quit
"""


def test_a_scripted_cadaver_session_succeeds_command_by_command(
        gateway: Gateway, alice: Account, alice_client: Client, tmp_path: Path) -> None:
    cadaver = require_tool("cadaver")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(f'machine 127.0.0.1\nlogin {alice.username}\npassword "{PASSWORD}"\n')
    netrc.chmod(0o600)
    work = tmp_path / "work"
    work.mkdir()
    (work / "q1.txt").write_text("Q1 revenue: 42\n")
    (work / "q1-revised.txt").write_text("Q1 revenue: 43 (revised)\n")
    (work / "scratch.txt").write_text("temporary\n")

    result = subprocess.run([cadaver, gateway.url.rstrip("/") + "/Files/"], input=SCRIPT, cwd=work,
                            env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                            capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "failed" not in output.lower(), output
    for step in ("Creating `Reports'", "Uploading q1.txt", "Downloading `/Files/Reports/q1.txt'",
                 "Setting property on `q1.txt'", "Locking `q1.txt'", "Uploading q1-revised.txt",
                 "Unlocking `q1.txt'", "Copying `/Files/Reports/q1.txt'", "Moving `/Files/Reports/q1-copy.txt'",
                 "Deleting `scratch.txt'"):
        assert f"{step}" in output and output.split(step, 1)[1].split("\n", 1)[0].rstrip().endswith("succeeded."), (
            step, output)
    assert output.count("Value of reviewer is: Ada") == 2  # the dead property followed the copy and the move

    assert (work / "q1-downloaded.txt").read_text() == "Q1 revenue: 42\n"
    assert alice_client.request("GET", "/Files/Reports/q1.txt").text == "Q1 revenue: 43 (revised)\n"
    assert alice_client.request("GET", "/Files/Reports/q1-archived.txt").text == "Q1 revenue: 43 (revised)\n"
    assert set(propfind(alice_client, "/Files/Reports/")) == {
        "/Files/Reports/", "/Files/Reports/q1.txt", "/Files/Reports/q1-archived.txt"}
    locks = propfind(alice_client, "/Files/Reports/q1.txt", depth="0")["/Files/Reports/q1.txt"]
    assert locks.find(".//{DAV:}activelock") is None  # unlocked

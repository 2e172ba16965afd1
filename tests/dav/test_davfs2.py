"""davfs2: its requests replayed (neon's headers and bodies), then a real mount.

davfs2 locks a file before writing it, sending the LOCK to the file's URL with
``If-None-Match: *`` when the file is new, then PUTs with neon's tagged ``If``
header and ``If-Match`` (docs/clients.md, "davfs2").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, propfind, require_tool

DAVFS = {"User-Agent": "davfs2/1.6.1 neon/0.32.5"}
# neon writes the lock body with a default namespace.
_LOCK = (b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<lockinfo xmlns='DAV:'>\n"
         b" <lockscope><exclusive/></lockscope>\n<locktype><write/></locktype><owner>alice</owner>\n</lockinfo>\n")
_PROPS = (b'<?xml version="1.0" encoding="utf-8"?>\n<propfind xmlns="DAV:"><prop>\n'
          b'<resourcetype xmlns="DAV:"/>\n<getcontentlength xmlns="DAV:"/>\n<getetag xmlns="DAV:"/>\n'
          b'<getlastmodified xmlns="DAV:"/>\n<executable xmlns="http://apache.org/dav/props/"/>\n'
          b"</prop></propfind>\n")


def _lock(client: Client, path: str, **headers: str):  # noqa: ANN202 - a requests.Response
    return client.request("LOCK", path, data=_LOCK, headers={
        **DAVFS, "Timeout": "Second-1800", "Depth": "0", "Content-Type": "application/xml", **headers})


def test_a_lock_on_an_unmapped_url_creates_an_empty_file_and_answers_201(alice_client: Client) -> None:
    locked = _lock(alice_client, "/Files/notes.txt", **{"If-None-Match": "*"})
    assert locked.status_code == 201  # a 500 here is an EIO in the mounted file system
    token = locked.headers["Lock-Token"]
    listing = propfind(alice_client, "/Files/")
    assert listing["/Files/notes.txt"].findtext(".//{DAV:}getcontentlength") == "0"

    # neon names the resource in a tagged If header, with the absolute URL.
    url = alice_client.base_url.rstrip("/") + "/Files/notes.txt"
    put = alice_client.request("PUT", "/Files/notes.txt", data=b"first line\n",
                               headers={**DAVFS, "If": f"<{url}> ({token})"})
    assert put.status_code == 204
    etag = put.headers["ETag"]
    assert alice_client.request("UNLOCK", "/Files/notes.txt", headers={**DAVFS, "Lock-Token": token}).status_code == 204
    assert alice_client.request("GET", "/Files/notes.txt").content == b"first line\n"
    # UNLOCK leaves the file in place, with the content written under the lock.
    assert alice_client.request("HEAD", "/Files/notes.txt").headers["ETag"] == etag


def test_a_lock_with_if_none_match_on_an_existing_file_is_a_412(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/taken.txt", data=b"here already")
    assert _lock(alice_client, "/Files/taken.txt", **{"If-None-Match": "*"}).status_code == 412
    assert alice_client.request("GET", "/Files/taken.txt").content == b"here already"


def test_put_honours_if_match_and_if_none_match(alice_client: Client) -> None:
    assert alice_client.request("PUT", "/Files/doc.txt", data=b"v1",
                                headers={**DAVFS, "If-None-Match": "*"}).status_code == 201
    assert alice_client.request("PUT", "/Files/doc.txt", data=b"again",
                                headers={**DAVFS, "If-None-Match": "*"}).status_code == 412
    etag = propfind(alice_client, "/Files/doc.txt", depth="0")["/Files/doc.txt"].findtext(".//{DAV:}getetag")
    assert etag and etag.startswith('"') and not etag.startswith("W/")  # davfs2 trusts strong ETags
    updated = alice_client.request("PUT", "/Files/doc.txt", data=b"v2", headers={**DAVFS, "If-Match": etag})
    assert updated.status_code == 204
    stale = alice_client.request("PUT", "/Files/doc.txt", data=b"lost", headers={**DAVFS, "If-Match": etag})
    assert stale.status_code == 412
    assert alice_client.request("GET", "/Files/doc.txt").content == b"v2"


def test_the_listing_davfs2_asks_for(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/src")
    alice_client.request("PUT", "/Files/src/main.c", data=b"int main;")
    response = alice_client.request("PROPFIND", "/Files/src/", data=_PROPS,
                                    headers={**DAVFS, "Depth": "1", "Content-Type": "application/xml"})
    assert response.status_code == 207
    items = {item.findtext("{DAV:}href"): item for item in ET.fromstring(response.content).findall("{DAV:}response")}
    assert list(items) == ["/Files/src/", "/Files/src/main.c"]
    file = items["/Files/src/main.c"]
    assert file.findtext(".//{DAV:}getcontentlength") == "9"
    statuses = [propstat.findtext("{DAV:}status") for propstat in file.findall("{DAV:}propstat")]
    assert statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"]  # apache:executable is unknown
    quota = alice_client.request("PROPFIND", "/Files/", headers={**DAVFS, "Depth": "0"}, data=(
        b'<?xml version="1.0" encoding="utf-8"?>\n<propfind xmlns="DAV:"><prop>\n'
        b'<quota-available-bytes xmlns="DAV:"/>\n<quota-used-bytes xmlns="DAV:"/>\n</prop></propfind>\n'))
    used = ET.fromstring(quota.content).findtext(".//{DAV:}quota-used-bytes")
    assert used == "9"


# --- a real mount -------------------------------------------------------------------


def _why_davfs2_cannot_mount() -> str | None:
    """What this machine lacks for a davfs2 mount, or None if it has everything.

    Mounting needs root (davfs2's mount helper), the FUSE device and the
    CAP_SYS_ADMIN capability: containers often have none of these.
    """
    if os.geteuid() != 0:
        return "mounting davfs2 needs root"
    if "fuse" not in Path("/proc/filesystems").read_text():
        return "the kernel has no FUSE file system"
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as error:
        return f"/dev/fuse cannot be opened ({error.strerror})"
    effective = next(line for line in Path("/proc/self/status").read_text().splitlines()
                     if line.startswith("CapEff:"))
    if not int(effective.split()[1], 16) & (1 << 21):  # CAP_SYS_ADMIN
        return "the process lacks CAP_SYS_ADMIN, which mounting needs"
    return None


@pytest.fixture
def davfs2_mount(gateway: Gateway, alice: Account, tmp_path: Path) -> Iterator[Path]:
    require_tool("mount.davfs")
    missing = _why_davfs2_cannot_mount()
    if missing:
        # Not a missing package but a missing kernel feature or privilege: no
        # change to the code or the image can make this test run here.
        pytest.skip(f"davfs2 cannot mount on this machine: {missing}")
    url = gateway.url.rstrip("/") + "/Files/"
    config = tmp_path / "davfs2"
    config.mkdir()
    secrets = config / "secrets"
    secrets.write_text(f'{url} {alice.username} "{PASSWORD}"\n')
    secrets.chmod(0o600)
    # buf_size: Linux 6.x asks READDIR for 32 KiB; davfs2's 16 KiB default makes
    # every directory read fail with EINVAL (docs/clients.md).
    (config / "davfs2.conf").write_text(
        f"secrets {secrets}\nuse_locks 1\nlock_timeout 1800\ndelay_upload 0\nbuf_size 64\n")
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount.davfs", url, str(mountpoint), "-o", f"conf={config / 'davfs2.conf'}"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert mounted.returncode == 0, mounted.stderr
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True, timeout=300, check=False)
        # davfs2 keeps a cache per mount point in its system cache directory.
        mangled = str(mountpoint).strip("/").replace("/", "-")
        for cache in Path("/var/cache/davfs2").glob(f"*{mangled}*"):
            shutil.rmtree(cache, ignore_errors=True)


def _locked_paths(database: Database) -> set[str]:
    import sqlalchemy as sa
    with database.transaction() as session:
        return {row[0] for row in session.execute(sa.text("SELECT root FROM dav_locks"))}


@pytest.mark.slow
def test_a_davfs2_mount_creates_edits_renames_and_deletes_with_locks(
        davfs2_mount: Path, alice_client: Client, database: Database) -> None:
    root = davfs2_mount
    (root / "Projects").mkdir()
    note = root / "Projects" / "plan.txt"
    with note.open("w") as writing:
        writing.write("step one\n")
        writing.flush()
        # davfs2 holds a lock on the server while the file is open for writing.
        assert any(path.endswith("/Files/Projects/plan.txt") for path in _locked_paths(database))
    with note.open("a") as appending:
        appending.write("step two\n")
    payload = os.urandom(3 * 1024 * 1024)
    (root / "Projects" / "data.bin").write_bytes(payload)
    (root / "Projects" / "plan.txt").rename(root / "Projects" / "plan (final).txt")
    (root / "Projects" / "data.bin").unlink()
    assert sorted(os.listdir(root / "Projects")) == ["plan (final).txt"]
    subprocess.run(["sync"], check=False)

    # What the server holds once davfs2 has written everything back.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = alice_client.request("GET", "/Files/Projects/plan%20(final).txt")
        if response.status_code == 200 and response.content == b"step one\nstep two\n":
            break
        time.sleep(0.5)
    assert response.content == b"step one\nstep two\n"
    assert set(propfind(alice_client, "/Files/Projects/")) == {"/Files/Projects/", "/Files/Projects/plan (final).txt"}
    shutil.rmtree(root / "Projects")
    deadline = time.monotonic() + 60
    while alice_client.request("PROPFIND", "/Files/Projects", headers={"Depth": "0"}).status_code != 404:
        assert time.monotonic() < deadline, "the folder was not deleted on the server"
        time.sleep(0.5)
    assert not _locked_paths(database)  # every lock davfs2 took was released

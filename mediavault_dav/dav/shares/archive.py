"""A shared folder as one zip, streamed: memory stays flat whatever the folder holds.

The list of entries is read first (one statement; rows, never contents), so a
database failure is still a clean error status. Then the archive is written by
the standard library's ``zipfile`` into a sink that is emptied after every
block: ``zipfile`` writes to a stream it cannot seek by putting each entry's CRC
and sizes in a data descriptor after its bytes, and switches to ZIP64 where a
file or the archive passes 4 GiB. Entries are stored, not compressed (pictures,
music and films are compressed already; deflating them would spend the CPU for
nothing). Only bytes already on their way are ever held: one block per request.

The archive has no Content-Length (it is sent chunked), counts as one download
of the share, and ignores Range. Names inside are the names the share shows;
they can hold neither ``/`` nor ``..`` (vault/names.py), so unpacking it writes
nowhere but where the guest chose.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from mediavault_dav.blobs import BlobStore
from mediavault_dav.dav import content_policy, propfind
from mediavault_dav.dav.shares.resources import ShareCollection
from mediavault_dav.vault import share_content
from mediavault_dav.vault.share_content import ArchiveItem

_log = logging.getLogger(__name__)

BLOCK_BYTES = 1024 * 1024
_EARLIEST = (1980, 1, 1, 0, 0, 0)  # the zip format cannot say anything earlier


def respond(collection: ShareCollection, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    with collection.provider.database.reading() as session:
        items = share_content.archive_items(session, collection.target, collection.folder)
    is_head = environ["REQUEST_METHOD"] == "HEAD"
    if not is_head:
        collection.provider.start_download(environ, collection.opened, None, ranged=False)
    name = collection.get_display_name() + ".zip"
    environ[propfind.STREAMED_KEY] = True  # no Content-Length on purpose: keep the connection
    start_response("200 OK", [
        ("Content-Type", "application/zip"),
        ("Content-Disposition", content_policy.content_disposition("attachment", name)),
        ("Content-Security-Policy", content_policy.FILE_POLICY),
        ("Cache-Control", "private, no-store"),
    ])
    if is_head:
        return [b""]
    return stream(items, collection.provider.blobs)


class _Sink:
    """Where ``zipfile`` writes; emptied after every block. It cannot seek or tell."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        if data:
            self._parts.append(data if isinstance(data, bytes) else bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream(items: list[ArchiveItem], blobs: BlobStore) -> Iterator[bytes]:
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED,  # type: ignore[call-overload]
                              allowZip64=True)
    for item in items:
        info = zipfile.ZipInfo(item.path, date_time=_zip_time(item.modified_at))
        if item.file is None:
            info.external_attr = (0o40755 << 16) | 0x10  # a directory, readable by all
            archive.writestr(info, b"")
        else:
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = item.file.size
            try:
                source = blobs.open(item.file.hash)
            except FileNotFoundError:
                # The status is sent; all that is left is to cut the archive short.
                _log.error("blob %s of file %s is missing; the zip is cut short", item.file.hash, item.file.id)
                raise
            with source, archive.open(info, mode="w") as target:
                while block := source.read(BLOCK_BYTES):
                    target.write(block)
                    yield sink.take()
        pending = sink.take()
        if pending:
            yield pending
    archive.close()  # the central directory
    yield sink.take()


class WithoutLengthComplaint(logging.Filter):
    """WsgiDAV logs an error for every response without a length; a zip is one on purpose.

    (It is the only 200 the gateway sends without a Content-Length: files and
    playlists always know theirs.)
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Missing required Content-Length header in 200-response")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC)
    stamp = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    return max(stamp, _EARLIEST)

"""Dead properties of files and folders (Windows' Win32 timestamps, Finder metadata...).

Keyed by the entry, not its URL, so a property follows a MOVE and disappears with
the entry (ON DELETE CASCADE). ``load`` reads the properties of many entries in one
statement, which keeps a folder listing at a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault.errors import InvalidInput, LimitExceeded

MAX_VALUE_BYTES = 64 * 1024
MAX_PROPERTIES_PER_ENTRY = 200

# An entry is ("file", id) or ("folder", id).
EntryKey = tuple[str, int]


def _column(kind: str) -> str:
    if kind not in ("file", "folder"):
        raise ValueError(kind)
    return f"{kind}_id"


def load(session: Session, keys: Iterable[EntryKey]) -> dict[EntryKey, dict[str, bytes]]:
    """Dead properties of the given entries, in one statement; entries without any
    are absent (a listing of 10,000 files should not hold 10,000 empty dicts)."""
    keys = list(keys)
    result: dict[EntryKey, dict[str, bytes]] = {}
    files = [ident for kind, ident in keys if kind == "file"]
    folders = [ident for kind, ident in keys if kind == "folder"]
    if not files and not folders:
        return result
    rows = session.execute(
        sa.text("SELECT file_id, folder_id, name, value FROM dav_properties "
                "WHERE file_id = ANY(CAST(:files AS bigint[])) OR folder_id = ANY(CAST(:folders AS bigint[]))"),
        {"files": files, "folders": folders},
    )
    for row in rows:
        key = ("file", row.file_id) if row.file_id is not None else ("folder", row.folder_id)
        result.setdefault(key, {})[row.name] = bytes(row.value)
    return result


def write(session: Session, key: EntryKey, name: str, value: bytes) -> None:
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidInput(f"a property value may have at most {MAX_VALUE_BYTES} bytes")
    column = _column(key[0])
    count = session.execute(
        sa.text(f"SELECT count(*) FROM dav_properties WHERE {column} = :id AND name <> :name"),
        {"id": key[1], "name": name},
    ).scalar_one()
    if count >= MAX_PROPERTIES_PER_ENTRY:
        raise LimitExceeded(f"an entry may carry at most {MAX_PROPERTIES_PER_ENTRY} properties")
    session.execute(
        sa.text(
            f"""
            INSERT INTO dav_properties ({column}, name, value) VALUES (:id, :name, :value)
            ON CONFLICT ON CONSTRAINT uq_dav_properties_target_name DO UPDATE SET value = EXCLUDED.value
            """
        ),
        {"id": key[1], "name": name, "value": value},
    )


def remove(session: Session, key: EntryKey, name: str) -> None:
    session.execute(
        sa.text(f"DELETE FROM dav_properties WHERE {_column(key[0])} = :id AND name = :name"),
        {"id": key[1], "name": name},
    )

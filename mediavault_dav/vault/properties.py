"""Dead properties of files and folders (Windows' Win32 timestamps, Finder metadata...).

Keyed by the entry, not its URL, so a property follows a MOVE and disappears with
the entry (ON DELETE CASCADE). ``load`` reads the properties of many entries in one
statement, which keeps a folder listing at a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault.errors import InvalidInput, LimitExceeded

MAX_VALUE_BYTES = 64 * 1024
MAX_PROPERTIES_PER_ENTRY = 200

# An entry is ("file", id) or ("folder", id).
EntryKey = tuple[str, int]


_LOAD = Statement(
    "SELECT file_id, folder_id, name, value FROM dav_properties "
    "WHERE file_id = ANY(CAST(:files AS bigint[])) OR folder_id = ANY(CAST(:folders AS bigint[]))"
)
_KINDS = ("file", "folder")  # each names its entry in the column <kind>_id
_COUNT_OTHERS = {
    kind: Statement(f"SELECT count(*) AS others FROM dav_properties WHERE {kind}_id = :id AND name <> :name")
    for kind in _KINDS
}
_UPSERT = {
    kind: Statement(f"""
        INSERT INTO dav_properties ({kind}_id, name, value) VALUES (:id, :name, :value)
        ON CONFLICT ON CONSTRAINT uq_dav_properties_target_name DO UPDATE SET value = EXCLUDED.value
    """)
    for kind in _KINDS
}
_REMOVE = {kind: Statement(f"DELETE FROM dav_properties WHERE {kind}_id = :id AND name = :name") for kind in _KINDS}


def load(session: Session, keys: Iterable[EntryKey]) -> dict[EntryKey, dict[str, bytes]]:
    """Dead properties of the given entries, in one statement; entries without any
    are absent (a listing of 10,000 files should not hold 10,000 empty dicts)."""
    keys = list(keys)
    result: dict[EntryKey, dict[str, bytes]] = {}
    files = [ident for kind, ident in keys if kind == "file"]
    folders = [ident for kind, ident in keys if kind == "folder"]
    if not files and not folders:
        return result
    for row in _LOAD.all(session, {"files": files, "folders": folders}):
        key = ("file", row.file_id) if row.file_id is not None else ("folder", row.folder_id)
        result.setdefault(key, {})[row.name] = bytes(row.value)
    return result


def write(session: Session, key: EntryKey, name: str, value: bytes) -> None:
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidInput(f"a property value may have at most {MAX_VALUE_BYTES} bytes")
    kind, ident = key
    counted = _COUNT_OTHERS[kind].first(session, {"id": ident, "name": name})
    assert counted is not None  # an aggregate always returns its row
    if counted.others >= MAX_PROPERTIES_PER_ENTRY:
        raise LimitExceeded(f"an entry may carry at most {MAX_PROPERTIES_PER_ENTRY} properties")
    _UPSERT[kind].run(session, {"id": ident, "name": name, "value": value})


def remove(session: Session, key: EntryKey, name: str) -> None:
    kind, ident = key
    _REMOVE[kind].run(session, {"id": ident, "name": name})

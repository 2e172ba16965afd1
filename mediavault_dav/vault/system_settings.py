"""Typed admin settings kept in the database (``system_settings``), shared by every process.

Unlike the gateway's start-up settings (settings.py: where the database is, which
port), these are the administrator's policy and change while the gateway runs: the
default storage quota, the largest upload, how long the audit trail is kept. Each is
declared once here with its type, default and meaning; a stored value of the wrong
shape is ignored in favour of the default (and ``check`` refuses to store one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault.errors import InvalidInput, NotFound
from mediavault_dav.vault.sizes import parse_size


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    default: Any
    meaning: str
    parse: Callable[[str], Any]  # from what an operator types; raises InvalidInput


def _size_or_unlimited(text: str) -> int | None:
    return None if text.strip().lower() in ("none", "unlimited") else parse_size(text)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a whole number of days") from None
    if not 1 <= days <= 36_500:
        raise InvalidInput("the number of days must be between 1 and 36500")
    return days


DEFAULT_QUOTA_BYTES = SettingDefinition(
    "default_quota_bytes", None,
    "storage quota of users without their own (bytes; unlimited when unset)", _size_or_unlimited)
MAX_UPLOAD_BYTES = SettingDefinition(
    "max_upload_bytes", None, "largest single upload (bytes; unlimited when unset)", _size_or_unlimited)
AUDIT_RETENTION_DAYS = SettingDefinition(
    "audit_retention_days", 365, "days the audit trail (activity_logs) is kept", _days)

DEFINITIONS: dict[str, SettingDefinition] = {
    definition.key: definition for definition in (DEFAULT_QUOTA_BYTES, MAX_UPLOAD_BYTES, AUDIT_RETENTION_DAYS)
}

_GET = Statement("SELECT value FROM system_settings WHERE key = :key")
_SET = Statement(
    """INSERT INTO system_settings (key, value, description, updated_by)
       VALUES (:key, CAST(:value AS jsonb), :description, :updated_by)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, description = EXCLUDED.description,
                                      updated_by = EXCLUDED.updated_by, updated_at = now()"""
)
_RESET = Statement("DELETE FROM system_settings WHERE key = :key")


def get(session: Session, definition: SettingDefinition) -> Any:
    row = _GET.first(session, {"key": definition.key})
    if row is None or not _fits(definition, row.value):
        return definition.default
    return row.value


def definition_of(key: str) -> SettingDefinition:
    try:
        return DEFINITIONS[key]
    except KeyError:
        raise NotFound(f"no setting {key!r}; settings: {', '.join(sorted(DEFINITIONS))}") from None


def set_value(session: Session, definition: SettingDefinition, text: str, *, updated_by: int | None = None) -> Any:
    """Store what an operator typed (``10 GiB``, ``unlimited``, ``30``); returns the stored value."""
    value = definition.parse(text)
    _SET.run(session, {"key": definition.key, "value": json.dumps(value), "description": definition.meaning,
                       "updated_by": updated_by})
    return value


def reset(session: Session, definition: SettingDefinition) -> None:
    _RESET.run(session, {"key": definition.key})


def _fits(definition: SettingDefinition, value: Any) -> bool:
    if value is None:
        return True
    expected = type(definition.default) if definition.default is not None else int
    return isinstance(value, expected) and not isinstance(value, bool)

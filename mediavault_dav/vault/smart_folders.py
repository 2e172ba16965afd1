"""Smart folders: saved rule sets whose live result appears as a read-only folder.

The rules are stored as given (JSON in ``smart_folders.rules``) and compiled
(``smart_rules``) each time the folder is read, into one statement over the
user's files: a file uploaded a moment ago is there at once, and nothing is
cached that could go stale. Rules are validated when saved, so a stored folder
always compiles; categories they name must exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from mediavault_dav.vault import categories
from mediavault_dav.vault.errors import Conflict, NotFound
from mediavault_dav.vault.members import Member, MemberSource, find_member, list_members
from mediavault_dav.vault.names import check_name, name_key
from mediavault_dav.vault.smart_rules import CompiledRule, InvalidRule, compile_rules

_COLUMNS = "s.id, s.user_id, s.name, s.rules, s.created_at, s.updated_at"


@dataclass(frozen=True)
class SmartFolder:
    id: int
    user_id: int
    name: str
    rules: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _smart_folder(row: sa.Row) -> SmartFolder:
    return SmartFolder(row.id, row.user_id, row.name, row.rules, row.created_at, row.updated_at)


def validate(session: Session, rules: Any) -> CompiledRule:
    """Compile the rules and check what only the database knows (category names)."""
    compiled = compile_rules(rules)
    if compiled.categories:
        known = {name_key(category.name).lower(): category.name
                 for category in categories.list_categories(session)}
        for name in compiled.categories:
            if name_key(name).lower() not in known:
                raise InvalidRule(f"rules: there is no category {name!r}; categories: "
                                  f"{', '.join(sorted(known.values())) or 'none'}")
    return compiled


def list_smart_folders(session: Session, user_id: int) -> list[SmartFolder]:
    rows = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM smart_folders s WHERE s.user_id = :user ORDER BY s.name_key"),
        {"user": user_id},
    )
    return [_smart_folder(row) for row in rows]


def find_smart_folder(session: Session, user_id: int, name: str) -> SmartFolder | None:
    row = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM smart_folders s "
                "WHERE s.user_id = :user AND s.name_key = normalize(:name, NFC)"),
        {"user": user_id, "name": name},
    ).one_or_none()
    return None if row is None else _smart_folder(row)


def get_smart_folder(session: Session, user_id: int, name: str) -> SmartFolder:
    found = find_smart_folder(session, user_id, name)
    if found is None:
        raise NotFound(f"there is no smart folder named {name!r}")
    return found


def create_smart_folder(session: Session, user_id: int, name: str, rules: Any) -> SmartFolder:
    check_name(name)
    validate(session, rules)
    row = session.execute(
        sa.text(f"""INSERT INTO smart_folders AS s (user_id, name, rules) VALUES (:user, :name, :rules)
                    ON CONFLICT ON CONSTRAINT uq_smart_folders_user_id_name_key DO NOTHING
                    RETURNING {_COLUMNS}""").bindparams(sa.bindparam("rules", type_=JSONB)),
        {"user": user_id, "name": name, "rules": rules},
    ).one_or_none()
    if row is None:
        raise Conflict(f"a smart folder named {name!r} already exists")
    return _smart_folder(row)


def update_smart_folder(session: Session, folder: SmartFolder, *, rules: Any = None,
                        new_name: str | None = None) -> SmartFolder:
    if rules is not None:
        validate(session, rules)
    if new_name is not None:
        check_name(new_name)
        clash = find_smart_folder(session, folder.user_id, new_name)
        if clash is not None and clash.id != folder.id:
            raise Conflict(f"a smart folder named {new_name!r} already exists")
    row = session.execute(
        sa.text(f"""UPDATE smart_folders AS s SET rules = COALESCE(:rules, s.rules), name = COALESCE(:name, s.name),
                           updated_at = now()
                    WHERE s.id = :id AND s.user_id = :user RETURNING {_COLUMNS}""").bindparams(
            sa.bindparam("rules", type_=JSONB(none_as_null=True)), sa.bindparam("name", type_=sa.Text)),
        {"rules": rules, "name": new_name, "id": folder.id, "user": folder.user_id},
    ).one_or_none()
    if row is None:
        raise NotFound(f"there is no smart folder named {folder.name!r}")
    return _smart_folder(row)


def delete_smart_folder(session: Session, folder: SmartFolder) -> None:
    session.execute(sa.text("DELETE FROM smart_folders WHERE id = :id AND user_id = :user"),
                    {"id": folder.id, "user": folder.user_id})


def _source(folder: SmartFolder) -> MemberSource:
    compiled = compile_rules(folder.rules)
    return MemberSource(user_id=folder.user_id, condition=compiled.condition, params=compiled.params)


def smart_folder_members(session: Session, folder: SmartFolder) -> list[Member]:
    """The live result: one statement, however many files match."""
    return list_members(session, _source(folder))


def find_smart_folder_member(session: Session, folder: SmartFolder, name: str) -> Member | None:
    return find_member(session, _source(folder), name)

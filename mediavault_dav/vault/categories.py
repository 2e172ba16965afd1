"""Categories: kinds of media (Images, Audio, ...), assigned to an upload by content type.

The categories themselves are shared by every user (the defaults are seeded by the
schema migration); what a user sees in ``/Categories/<category>/`` are their own
files whose content carries that category. An upload takes the category with the
longest content-type prefix that matches (``image/`` → Images); a type no category
claims stays uncategorised. The choice happens in the same statement that records
the content (``tree.store_file``, with ``category_choice``), so a new upload is in its category at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault.errors import NotFound
from mediavault_dav.vault.members import Member, MemberSource, find_member, list_members
from mediavault_dav.vault.names import name_key


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    description: str | None
    mime_prefixes: list[str]
    created_at: datetime


def _category(row: sa.Row) -> Category:
    return Category(row.id, row.name, row.description, list(row.mime_prefixes), row.created_at)


def list_categories(session: Session) -> list[Category]:
    rows = session.execute(sa.text(
        "SELECT id, name, description, mime_prefixes, created_at FROM categories ORDER BY name"))
    return [_category(row) for row in rows]


def find_category(session: Session, name: str) -> Category | None:
    row = session.execute(
        sa.text("SELECT id, name, description, mime_prefixes, created_at FROM categories "
                "WHERE normalize(name, NFC) = :key"),
        {"key": name_key(name)},
    ).one_or_none()
    return None if row is None else _category(row)


def get_category(session: Session, name: str) -> Category:
    category = find_category(session, name)
    if category is None:
        raise NotFound(f"there is no category named {name!r}")
    return category


def _source(user_id: int, category_id: int) -> MemberSource:
    return MemberSource(user_id=user_id, condition="m.category_id = :category",
                        params={"category": category_id})


def category_members(session: Session, user_id: int, category: Category) -> list[Member]:
    """The user's files whose content is in ``category``: one statement."""
    return list_members(session, _source(user_id, category.id))


def find_category_member(session: Session, user_id: int, category: Category, name: str) -> Member | None:
    return find_member(session, _source(user_id, category.id), name)

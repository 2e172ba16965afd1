"""``/Categories/``: the user's media by category, read-only.

A file's category comes from its content type when it is uploaded
(vault/category_choice.py), so there is nothing to write here: every write is a
403 that says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.dav.virtual import Area, MemberCollection, timestamp
from mediavault_dav.vault import categories
from mediavault_dav.vault.categories import Category
from mediavault_dav.vault.members import Member

REFUSAL = "/Categories/ is read-only: a file's category comes from its content type"


class CategoriesCollection(Area):
    display_name = "Categories"
    refusal = REFUSAL

    def items(self, session: Session) -> list[Category]:
        return categories.list_categories(session)

    def find_item(self, session: Session, name: str) -> Category | None:
        return categories.find_category(session, name)

    def folder(self, item: Category) -> CategoryCollection:
        return CategoryCollection(self.child_path(item.name), self.environ, item)


class CategoryCollection(MemberCollection):
    kind = "category"
    refusal = REFUSAL

    def __init__(self, path: str, environ: dict[str, Any], category: Category) -> None:
        super().__init__(path, environ)
        self.category = category

    def get_display_name(self) -> str:
        return self.category.name

    def get_creation_date(self) -> float:
        return timestamp(self.category.created_at)

    def members(self, session: Session) -> list[Member]:
        return categories.category_members(session, self.provider.user_id(self.environ), self.category)

    def find(self, session: Session, name: str) -> Member | None:
        return categories.find_category_member(session, self.provider.user_id(self.environ), self.category, name)

"""Big virtual folders in parts, for Windows Explorer.

Explorer refuses to show a folder whose PROPFIND answer is larger than 1,000,000
bytes (``FileAttributesLimitInBytes``), and it asks for every property (``allprop``)
including the Win32 ones it stored: a member costs up to about 715 bytes, so an
album or smart folder of more than about 1,400 files would not open at all. A
virtual folder with more than ``PART_SIZE`` members is therefore shown to Explorer
as sub-folders — ``Part 1 (1–1000)``, ``Part 2 (1001–2000)`` … — each listing that
slice of the folder in its usual order. The files in a part behave as in the folder
itself (open, replace, remove from the album …); the parts themselves cannot be
created, renamed or deleted. Every other client sees the folder whole, and the
parts' paths work for every client (a link copied from Explorer keeps working). A
folder in /Files/ is not split: it is the user's own layout, and a real folder of
thousands of files is as slow in Explorer on any server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wsgidav.dav_provider import _DAVResource

from mediavault_dav.dav.virtual import Listing, MemberFile, VirtualCollection

if TYPE_CHECKING:
    from mediavault_dav.dav.virtual import MemberCollection

PART_SIZE = 1000
_EXPLORER = "Microsoft-WebDAV-MiniRedir/"
_PART_NAME = re.compile(r"^Part (\d+) \((\d+)–(\d+)\)$")


def for_explorer(environ: dict[str, Any], listing: Listing) -> bool:
    """Should this listing be shown as parts?"""
    return len(listing.items) > PART_SIZE and _EXPLORER in environ.get("HTTP_USER_AGENT", "")


def part_name(number: int, member_count: int) -> str:
    first = (number - 1) * PART_SIZE + 1
    return f"Part {number} ({first}–{min(member_count, number * PART_SIZE)})"


def part_number(name: str) -> int | None:
    """The part a name like ``Part 2 (1001–2000)`` names, if it is well formed."""
    found = _PART_NAME.match(name)
    if found is None:
        return None
    number, first, last = (int(group) for group in found.groups())
    if number < 1 or first != (number - 1) * PART_SIZE + 1 or not first <= last < first + PART_SIZE:
        return None
    return number


def parts(folder: MemberCollection, listing: Listing) -> Iterator[PartCollection]:
    count = len(listing.items)
    for number in range(1, (count + PART_SIZE - 1) // PART_SIZE + 1):
        yield PartCollection(folder, number, part_name(number, count))


class PartCollection(VirtualCollection):
    """One slice of a big virtual folder; its files are the folder's members."""

    refusal = ("a part of a big folder cannot be changed as such; add files to the folder itself "
               "(another client sees it whole) or change them in /Files/")

    def __init__(self, folder: MemberCollection, number: int, name: str) -> None:
        super().__init__(folder.child_path(name), folder.environ)
        self.folder = folder
        self.number = number

    def get_display_name(self) -> str:
        return self.name

    def get_last_modified(self) -> float | None:
        return self.folder.get_last_modified()

    def load_listing(self) -> Listing:
        whole = self.folder.load_listing()
        start = (self.number - 1) * PART_SIZE
        items = whole.items[start:start + PART_SIZE]
        return replace(whole, items=items, entries=[item.entry for item in items])

    def build_member(self, item: Any, listing: Listing) -> _DAVResource:
        member = self.folder.make_member(item, self.path)
        member.prefetch(listing.dead.get(("file", item.entry.id), {}))
        return member

    def get_member(self, name: str) -> MemberFile | None:
        found = self.folder.get_member(name)
        if not isinstance(found, MemberFile):
            return None
        return self.folder.make_member(found.member, self.path)

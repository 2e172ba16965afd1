"""Names of files shown together in one virtual folder, made distinct.

An album or a smart folder can hold two files called ``IMG_0001.jpg`` from
different folders. Within a group of members whose names compare equal (NFC),
the earliest member keeps the name (the first added, for albums and tags; the
oldest file otherwise) and the others become ``IMG_0001 (2).jpg``,
``IMG_0001 (3).jpg``..., skipping any number whose name a real member already
has. The rule depends only on the group and on the real names of the form
``stem (n).ext``, so a single name can be resolved from those few rows
(``candidates``) without listing the whole folder, and it gives the same answer
as the listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mediavault_dav.vault.names import name_key

# An extension: a final ".xyz" that is not the whole name, without spaces or brackets.
_EXTENSION = re.compile(r"(?<=.)\.[^.\s()]{1,16}$")
_NUMBERED = re.compile(r"^(?P<stem>.+) \((?P<number>[1-9][0-9]{0,8})\)(?P<ext>\.[^.\s()]{1,16})?$")


def split_name(name: str) -> tuple[str, str]:
    """(stem, extension) as the numbering sees them: ``a.tar.gz`` → (``a.tar``, ``.gz``)."""
    found = _EXTENSION.search(name)
    return (name[:found.start()], found.group()) if found else (name, "")


def numbered(name: str, number: int) -> str:
    stem, extension = split_name(name)
    return f"{stem} ({number}){extension}"


@dataclass(frozen=True)
class Candidates:
    """Which real names decide what a requested name resolves to."""

    name: str  # the requested name, NFC
    base: str | None  # for "x (2).jpg": "x.jpg", whose duplicates may carry the name
    numbered_prefix: str | None  # "x (": real names "x (n).jpg" take numbers away
    extension: str


def candidates(requested: str) -> Candidates:
    key = name_key(requested)
    found = _NUMBERED.match(key)
    if found is None:
        return Candidates(key, None, None, "")
    extension = found.group("ext") or ""
    return Candidates(key, found.group("stem") + extension, found.group("stem") + " (", extension)


class Named(Protocol):
    @property
    def rank(self) -> int: ...

    @property
    def real_name(self) -> str: ...


def assign(members: Sequence[Named]) -> list[str]:
    """The shown name of each member, in the order given."""
    groups: dict[str, list[int]] = {}
    for index, member in enumerate(members):
        groups.setdefault(name_key(member.real_name), []).append(index)
    taken = set(groups)
    shown = [member.real_name for member in members]
    for indexes in groups.values():
        if len(indexes) == 1:
            continue
        indexes.sort(key=lambda index: members[index].rank)
        number = 1
        for index in indexes[1:]:
            while True:
                number += 1
                name = numbered(members[index].real_name, number)
                if name_key(name) not in taken:
                    break
            shown[index] = name
    return shown


def pick(members: Sequence[Named], requested: str) -> int | None:
    """The index of the member shown as ``requested`` among ``candidates`` rows."""
    key = name_key(requested)
    for index, name in enumerate(assign(members)):
        if name_key(name) == key:
            return index
    return None


def distinct(names: Iterable[str]) -> bool:
    keys = [name_key(name) for name in names]
    return len(keys) == len(set(keys))

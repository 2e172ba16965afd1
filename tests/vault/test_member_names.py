"""Distinct names for members of one virtual folder, and resolving them back."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from mediavault_dav.vault import member_names


@dataclass(frozen=True)
class _Member:
    real_name: str
    rank: int


def test_the_earliest_keeps_the_name_and_numbers_skip_real_names() -> None:
    members = [_Member("a.jpg", 3), _Member("a.jpg", 1), _Member("a (2).jpg", 5), _Member("a.jpg", 9),
               _Member("notes", 2), _Member("notes", 4), _Member("a.tar.gz", 6), _Member("a.tar.gz", 7)]
    assert member_names.assign(members) == [
        "a (3).jpg", "a.jpg", "a (2).jpg", "a (4).jpg", "notes", "notes (2)", "a.tar.gz", "a.tar (2).gz"]
    assert member_names.distinct(member_names.assign(members))


def test_nfc_and_nfd_spellings_are_one_name() -> None:
    nfc, nfd = unicodedata.normalize("NFC", "Zoë.png"), unicodedata.normalize("NFD", "Zoë.png")
    shown = member_names.assign([_Member(nfc, 1), _Member(nfd, 2)])
    assert shown[0] == nfc and unicodedata.normalize("NFC", shown[1]) == "Zoë (2).png"


def test_a_numbered_name_names_the_rows_that_decide_it() -> None:
    wanted = member_names.candidates("IMG_0001 (3).jpg")
    assert (wanted.name, wanted.base, wanted.numbered_prefix, wanted.extension) == (
        "IMG_0001 (3).jpg", "IMG_0001.jpg", "IMG_0001 (", ".jpg")
    assert member_names.candidates("plain.jpg").base is None
    assert member_names.candidates("x (0).jpg").base is None  # numbering starts at 2; (0) is a real name only


def test_pick_among_candidates_agrees_with_the_listing() -> None:
    members = [_Member("a.jpg", 1), _Member("a.jpg", 2), _Member("a (2).jpg", 3)]
    for index, name in enumerate(member_names.assign(members)):
        assert member_names.pick(members, name) == index
    assert member_names.pick(members, "a (4).jpg") is None

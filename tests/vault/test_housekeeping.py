"""Which names are file managers' own files (vault/housekeeping.py)."""

from __future__ import annotations

import unicodedata

import pytest

from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.tree import guess_mime_type


@pytest.mark.parametrize("name", [
    "._IMG_0001.JPG", "._.", ".DS_Store", ".ds_store", ".localized", ".Spotlight-V100", ".Trashes",
    ".metadata_never_index", "Backups.backupdb", "desktop.ini", "Desktop.ini", "Thumbs.db", "thumbs.db",
    "autorun.inf", "~$Budget.xlsx", ".~lock.report.odt#", ".directory", ".goutputstream-7XK3Q2",
])
def test_file_manager_and_editor_files_are_housekeeping(name: str) -> None:
    assert is_housekeeping(name)


@pytest.mark.parametrize("name", [
    "IMG_0001.JPG", "folder.jpg", "DS_Store.txt", "my.desktop.ini.txt", "Thumbs.db.bak", "_draft.docx",
    ".hidden-but-mine.txt", unicodedata.normalize("NFD", "Café.jpg"),
])
def test_the_users_own_files_are_not(name: str) -> None:
    assert not is_housekeeping(name)


def test_housekeeping_files_are_never_typed_by_their_extension() -> None:
    assert guess_mime_type("._holiday.jpg", "image/jpeg") == "application/octet-stream"
    assert guess_mime_type("holiday.jpg", None) == "image/jpeg"

"""Housekeeping files: what file managers write beside a user's files, not media.

macOS Finder writes AppleDouble companions (``._photo.jpg``) and ``.DS_Store``;
Windows Explorer writes ``desktop.ini`` and ``Thumbs.db``; Office and LibreOffice
leave owner and lock files while a document is open; KDE writes ``.directory``.
Those clients break if the writes fail, so ``/Files/`` stores them like any file.
They are not the user's media, though: nothing that presents media (albums, smart
folders, tags, categories, playlists, share pages, the media catalogue) should
show them, and they never get a media type from their extension (``._photo.jpg``
holds Finder metadata, not a JPEG).

``is_housekeeping`` is the one place that says which names these are.
"""

from __future__ import annotations

from mediavault_dav.vault.names import name_key

# Compared case-insensitively: Windows and macOS file systems are.
_EXACT_NAMES = frozenset(name.casefold() for name in (
    # macOS
    ".DS_Store", ".localized", ".hidden", ".Spotlight-V100", ".Trashes", ".fseventsd",
    ".TemporaryItems", ".metadata_never_index", ".metadata_never_index_unless_rootfs",
    ".com.apple.timemachine.donotpresent", ".VolumeIcon.icns", "Backups.backupdb",
    # Windows
    "desktop.ini", "Thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "autorun.inf", "$RECYCLE.BIN",
    "System Volume Information",
    # KDE Dolphin
    ".directory",
))
# AppleDouble companions, Office owner files, LibreOffice locks, GNOME's save-in-progress files.
_PREFIXES = ("._", "~$", ".~lock.", ".goutputstream-")


def is_housekeeping(name: str) -> bool:
    """Is ``name`` (one path segment) a file manager's or an editor's own file?"""
    key = name_key(name).casefold()
    return key in _EXACT_NAMES or key.startswith(_PREFIXES)


def shown_sql(name_key_column: str) -> str:
    """SQL true for a name that is *not* a housekeeping file: the same rule as
    ``is_housekeeping``, for listings that filter in the database."""
    column = f"lower({name_key_column})"
    exact = ", ".join("'" + name.replace("'", "''") + "'" for name in sorted(_EXACT_NAMES))
    prefixes = " OR ".join(f"starts_with({column}, '{prefix}')" for prefix in _PREFIXES)
    return f"NOT ({column} IN ({exact}) OR {prefixes})"

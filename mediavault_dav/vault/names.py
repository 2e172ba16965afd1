"""The one normaliser for names and paths, used by every entry point.

Request URLs, Destination headers, share paths and the importer all pass through
here, so a name that is refused is refused everywhere. Names keep the exact text a
client sent (PostgreSQL compares them NFC-normalised); what is refused is what
could confuse a path or a terminal: empty names, ``.``/``..``, separators (``/``
and ``\\``), NUL and other control characters, and names longer than 255 characters.
"""

from __future__ import annotations

import unicodedata

from mediavault_dav.vault.errors import InvalidInput

MAX_NAME_LENGTH = 255


def check_name(name: str) -> str:
    if not name or name in (".", ".."):
        raise InvalidInput(f"{name!r} is not a usable name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"a name may have at most {MAX_NAME_LENGTH} characters")
    for character in name:
        if character in "/\\" or unicodedata.category(character) == "Cc":
            raise InvalidInput("a name may not contain '/', '\\' or control characters")
    return name


def split_path(path: str) -> list[str]:
    """Segments of a decoded, ``/``-separated path; every segment checked."""
    return [check_name(segment) for segment in path.split("/") if segment != ""]


def name_key(name: str) -> str:
    """How names are compared (the same rule as the ``name_key`` columns)."""
    return unicodedata.normalize("NFC", name)

"""MediaVault's own DAV properties of a file, in the ``urn:mediavault:props`` namespace.

``sha256``, ``category``, ``tags``, ``width``, ``height``, ``duration`` (seconds),
``title`` and ``artist``. They are live properties answered only when asked for
by name (never in ``allprop``: a folder listing should not pay for them), and
``tags`` is writable: a PROPPATCH replaces the file's tags with the ``<mv:tag>``
elements given (or a comma-separated text), creating tags as needed.

A PROPFIND Depth 1 that asks for any of them loads them for every listed file in
one statement (``prefetch``); a single file costs one statement.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.util import etree

from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.errors import to_dav_error
from mediavault_dav.vault import media_metadata, tags
from mediavault_dav.vault.errors import VaultError
from mediavault_dav.vault.media_metadata import Description
from mediavault_dav.vault.names import check_name
from mediavault_dav.vault.tree import FileEntry

NAMESPACE = "urn:mediavault:props"
_PREFIX = "{" + NAMESPACE + "}"
_CACHE_KEY = "mediavault.media_descriptions"


def clark(local: str) -> str:
    return _PREFIX + local


SHA256, CATEGORY, TAGS, TAG = clark("sha256"), clark("category"), clark("tags"), clark("tag")
WIDTH, HEIGHT, DURATION = clark("width"), clark("height"), clark("duration")
TITLE, ARTIST = clark("title"), clark("artist")
FILE_PROPERTIES = (SHA256, CATEGORY, TAGS, WIDTH, HEIGHT, DURATION, TITLE, ARTIST)
_NEEDS_DESCRIPTION = frozenset(FILE_PROPERTIES) - {SHA256}


def is_media_property(name: str) -> bool:
    return name.startswith(_PREFIX)


def wanted(names: list[str] | None) -> bool:
    """Does a PROPFIND asking for ``names`` need the descriptions loaded?"""
    return bool(names) and any(name in _NEEDS_DESCRIPTION for name in names or ())


def prefetch(resource: Any, file_ids: list[int]) -> None:
    """Load the descriptions of a listing's files in one statement."""
    if not file_ids:
        return
    cache = resource.environ.setdefault(_CACHE_KEY, {})
    with resource.provider.database.reading() as session:
        cache.update(media_metadata.describe(session, _user_id(resource), file_ids))


def _user_id(resource: Any) -> int:
    return int(resource.entry.user_id)


def _description(resource: Any) -> Description:
    cache: dict[int, Description] = resource.environ.setdefault(_CACHE_KEY, {})
    file_id = resource.entry.id
    if file_id not in cache:
        with resource.provider.database.reading() as session:
            cache.update(media_metadata.describe(session, _user_id(resource), [file_id]))
    found = cache.get(file_id)
    if found is None:
        raise DAVError(HTTP_NOT_FOUND)
    return found


def value(resource: Any, name: str) -> Any:
    """The property's value for a file resource (``resource.entry``); 404 if none."""
    if not isinstance(getattr(resource, "entry", None), FileEntry):
        raise DAVError(HTTP_NOT_FOUND)
    if name == SHA256:
        return resource.entry.hash
    if name not in _NEEDS_DESCRIPTION:
        raise DAVError(HTTP_NOT_FOUND)
    description = _description(resource)
    if name == TAGS:
        element = etree.Element(TAGS)
        for tag in description.tags:
            etree.SubElement(element, TAG).text = tag
        return element
    found: Any = {
        CATEGORY: description.category,
        WIDTH: description.metadata.width,
        HEIGHT: description.metadata.height,
        DURATION: description.metadata.duration_seconds,
        TITLE: description.metadata.title,
        ARTIST: description.metadata.artist,
    }[name]
    if found is None:
        raise DAVError(HTTP_NOT_FOUND)
    if isinstance(found, float):
        return format(Decimal(str(found)).normalize(), "f")
    return str(found)


def set_value(resource: Any, name: str, new_value: Any, *, dry_run: bool) -> None:
    """PROPPATCH: only ``tags`` can be set (or removed, which clears them)."""
    if name != TAGS or not isinstance(getattr(resource, "entry", None), FileEntry):
        raise DAVError(HTTP_FORBIDDEN, "this MediaVault property is read-only")
    names = [] if new_value is None else _tag_names(new_value)
    try:
        for tag_name in names:
            check_name(tag_name)
    except VaultError as error:
        raise to_dav_error(error) from None
    if dry_run:
        return
    try:
        with changing(resource.provider.database, resource.environ, "proppatch", resource.path) as change:
            change.about(resource.entry)
            change.details = {"property": name, "tags": names}
            tags.set_file_tags(change.session, resource.entry, names)
    except VaultError as error:
        raise to_dav_error(error) from None
    resource.environ.get(_CACHE_KEY, {}).pop(resource.entry.id, None)


def _tag_names(element: Any) -> list[str]:
    children = [child for child in element if isinstance(child.tag, str)]
    if children:
        return [(child.text or "").strip() for child in children if child.tag == TAG and (child.text or "").strip()]
    return [part.strip() for part in (element.text or "").split(",") if part.strip()]

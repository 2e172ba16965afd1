"""``/Files/``: the user's folder tree as DAV resources.

Each resource is built from one row snapshot (getters run several times per member
in a PROPFIND, so they must not query). A folder listing builds all member resources
from one query and prefetches their dead properties with one more (their locks come
from the request's lock snapshot), so a PROPFIND Depth 1 costs the same number of statements for 10 or 10,000 members.

Writes never expose a half-written file: a PUT to a new name gets a ``PendingFile``
that exists only in this request until its bytes are durably stored, and then the
row is created or switched in one transaction that re-checks If-Match / If-None-Match.
DELETE, COPY and MOVE are handled natively in one transaction each.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from wsgidav import util, xml_tools
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, _DAVResource
from wsgidav.util import etree

from mediavault_dav.blobs import BlobInfo, BlobWriter
from mediavault_dav.dav import content_policy, lockdiscovery, media_properties, modification_time, owncloud, quota
from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.errors import to_dav_error
from mediavault_dav.dav.quota import QuotaProperties
from mediavault_dav.dav.verified_read import VerifiedRead, wants_verification
from mediavault_dav.vault import blob_references, checksums, properties, tree
from mediavault_dav.vault.errors import QuotaExceeded, VaultError
from mediavault_dav.vault.names import name_key, split_path
from mediavault_dav.vault.tree import Entry, FileEntry, FolderEntry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediavault_dav.dav.provider import MediaVaultProvider

_log = logging.getLogger(__name__)

FILES_ROOT = "/Files"
CREATED_KEY = "mediavault.created"  # set by native COPY/MOVE that made a new target
_LOCK_PROPERTIES = ("{DAV:}lockdiscovery", "{DAV:}supportedlock")


def _entry_key(entry: Entry) -> properties.EntryKey:
    return ("folder", entry.id) if isinstance(entry, FolderEntry) else ("file", entry.id)


@dataclass(frozen=True)
class _Listing:
    entries: list[Entry]
    dead: dict[properties.EntryKey, dict[str, bytes]]  # only entries that have any


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


class EntryResource(_DAVResource):
    """What folders and files have in common: identity, properties, locks, native ops."""

    provider: MediaVaultProvider
    entry: Entry

    def __init__(self, path: str, environ: dict[str, Any]) -> None:
        super().__init__(path, environ)
        self._dead: dict[str, bytes] | None = None
        self._ref_url: str | None = None

    # --- identity ----------------------------------------------------------

    @property
    def entry_key(self) -> properties.EntryKey:
        return _entry_key(self.entry)

    def get_ref_url(self) -> str:
        # Prefixed with the owner's id: locks of two users never meet. Computed once:
        # WsgiDAV asks for it for every property of every member of a listing.
        if self._ref_url is None:
            self._ref_url = f"/~{self.entry.user_id}" + super().get_ref_url()
        return self._ref_url

    def get_display_name(self) -> str:
        return self.entry.name or "Files"

    def get_creation_date(self) -> float:
        return _timestamp(self.entry.created_at)

    def get_last_modified(self) -> float:
        return _timestamp(self.entry.modified_at)

    # --- dead properties, prefetched by a listing --------------------------------
    # (Lock discovery needs no prefetch: WsgiDAV's lookups are answered from the
    # request's lock snapshot, dav/lock_storage.py.)

    def prefetch(self, dead: dict[str, bytes]) -> None:
        self._dead = dead

    def _dead_properties(self) -> dict[str, bytes]:
        if self._dead is None:
            with self.provider.database.transaction() as session:
                self._dead = properties.load(session, [self.entry_key]).get(self.entry_key, {})
        return self._dead

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        names = super().get_property_names(is_allprop=is_allprop)
        return names + [name for name in self._dead_properties() if name not in names]

    def get_property_value(self, name: str) -> Any:
        live = _LIVE_PROPERTIES.get(name)
        if live is not None:
            # The common live properties straight from the row snapshot (WsgiDAV's
            # generic path re-derives the reference URL for each one).
            value = live(self)
            if value is None:
                raise DAVError(HTTP_NOT_FOUND)
            return value
        if media_properties.is_media_property(name):  # sha256, tags, width ... (asked by name)
            return media_properties.value(self, name)
        if not name.startswith("{DAV:}"):
            value = self._dead_properties().get(name)
            if value is None:
                raise DAVError(HTTP_NOT_FOUND)
            return xml_tools.string_to_xml(value)
        return super().get_property_value(name)

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> Any:
        if name in modification_time.SETTERS:
            if value is None:
                raise DAVError(HTTP_FORBIDDEN, "the modification time cannot be removed")
            return self.set_last_modified(self.path, value.text, dry_run=dry_run)
        if name == owncloud.CHECKSUM:
            return None  # the server's own digests stand (dav/owncloud.py)
        if name.startswith("{DAV:}") or name in _LOCK_PROPERTIES or name in _LIVE_PROPERTIES:
            return super().set_property_value(name, value, dry_run=dry_run)
        if media_properties.is_media_property(name):  # only mv:tags is writable
            return media_properties.set_value(self, name, value, dry_run=dry_run)
        if dry_run:
            return None
        with changing(self.provider.database, self.environ, "proppatch", self.path) as change:
            change.about(self.entry)
            change.details = {"property": name, "removed": value is None}
            if value is None:
                properties.remove(change.session, self.entry_key, name)
            else:
                properties.write(change.session, self.entry_key, name, etree.tostring(value))
        self._dead = None
        return None

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        moment = modification_time.parse(time_stamp)
        if dry_run:
            return True
        if self.environ["REQUEST_METHOD"] != "PROPPATCH":  # X-OC-Mtime: part of the PUT's change
            with self.provider.database.transaction() as session:
                self.entry = tree.set_modified(session, self.entry, moment)
            return True
        with changing(self.provider.database, self.environ, "proppatch", self.path) as change:
            change.about(self.entry)
            change.details = {"property": "modification time", "value": moment.isoformat()}
            self.entry = tree.set_modified(change.session, self.entry, moment)
        return True

    # --- native DELETE, COPY, MOVE -------------------------------------------

    def handle_delete(self) -> bool:
        lock_manager = self.provider.lock_manager
        if lock_manager is not None:
            # WsgiDAV checked the parent only; nothing inside may be locked either.
            lock_manager.check_write_permission(
                url=self.get_ref_url(), depth="infinity",
                token_list=self.environ["wsgidav.ifLockTokenList"],
                principal=self.environ["wsgidav.user_name"],
            )
        self.delete()
        return True

    def delete(self) -> None:
        """The entry, and for a folder everything below it, in one statement."""
        with changing(self.provider.database, self.environ, "delete", self.path) as change:
            change.about(self.entry)
            change.status_code = 204
            tree.delete(change.session, self.entry)
        self._drop_locks()

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        if self.provider.copy_into_virtual_folder(self, dest_path, self.environ):  # album, tag: adds
            return True
        target_folder, target_name = self.copy_destination(dest_path)
        try:
            with changing(self.provider.database, self.environ, "copy", self.path) as change:
                change.about(self.entry)
                change.details = {"destination": dest_path}
                # Into another user's tree (a folder shared with them, or theirs from one
                # shared with them) the copy becomes theirs; within one tree, rows only.
                replaced = tree.copy_across(change.session, self.entry, target_folder, target_name,
                                            replace=self.environ.get("HTTP_OVERWRITE", "T") == "T",
                                            recursive=depth_infinity)
                change.status_code = 204 if replaced else 201
        except Exception as error:  # noqa: BLE001 - a quota refusal is a 507, not WsgiDAV's 500
            raise to_dav_error(error) from None
        self.environ[CREATED_KEY] = not replaced
        return True

    def handle_move(self, dest_path: str) -> bool:
        target_folder, target_name = self.move_destination(dest_path)
        try:
            with changing(self.provider.database, self.environ, "move", self.path) as change:
                change.about(self.entry)
                change.details = {"destination": dest_path}
                replaced = tree.move(change.session, self.entry, target_folder.id, target_name,
                                     replace=self.environ.get("HTTP_OVERWRITE", "T") == "T")
                change.status_code = 204 if replaced else 201
        except Exception as error:  # noqa: BLE001 - a vault refusal keeps its status (WsgiDAV would say 500)
            raise to_dav_error(error) from None
        self._drop_locks()  # locks stay with the URL they were taken on (RFC 4918 7.5)
        if replaced:
            self.provider.drop_locks_at(dest_path, self.environ)
        self.environ[CREATED_KEY] = not replaced
        return True

    # --- where a COPY or MOVE may land ------------------------------------------------

    def copy_destination(self, dest_path: str) -> tuple[FolderEntry, str]:
        """A folder of the user's /Files/, or of a folder shared with them for writing."""
        folder, name = self.provider.resolve_target(dest_path, self.environ)
        folder.check_writing_into()
        return folder.entry, name

    def move_destination(self, dest_path: str) -> tuple[FolderEntry, str]:
        """A folder of the same tree: a MOVE never hands an entry to another user."""
        folder, name = self.provider.resolve_target(dest_path, self.environ)
        if folder.entry.user_id != self.entry.user_id:
            raise DAVError(HTTP_FORBIDDEN, "a MOVE would give this away to another user's folder: copy it instead")
        folder.check_writing_into()
        return folder.entry, name

    def _drop_locks(self) -> None:
        if self.provider.lock_manager is not None:
            self.provider.lock_manager.remove_all_locks_from_url(self.get_ref_url(), recursive=True)


class FolderResource(QuotaProperties, EntryResource, DAVCollection):
    entry: FolderEntry

    def __init__(self, path: str, environ: dict[str, Any], entry: FolderEntry) -> None:
        super().__init__(path, environ)
        self.entry = entry
        self._members: list[EntryResource] | None = None

    def get_member_list(self) -> list[EntryResource]:
        if self._members is None:
            listing = self.load_listing()
            self._members = [self._member(entry, listing) for entry in listing.entries]
        return self._members

    def iter_members(self, listing: _Listing) -> Iterator[EntryResource]:
        """The members built one at a time from a loaded listing: a streamed PROPFIND
        then holds the rows, not 10,000 resource objects."""
        for entry in listing.entries:
            yield self._member(entry, listing)

    def load_listing(self) -> _Listing:
        """Members and their dead properties: three statements whatever the size."""
        with self.provider.database.transaction() as session:
            folders, files = tree.list_folder(session, self.entry)
            entries: list[Entry] = [*folders, *files]
            dead = properties.load(session, [_entry_key(entry) for entry in entries])
        return _Listing(entries, dead)

    def _member(self, entry: Entry, listing: _Listing) -> EntryResource:
        member = self.child(util.join_uri(self.path, entry.name), entry)
        member.prefetch(listing.dead.get(member.entry_key, {}))
        return member

    def child(self, path: str, entry: Entry) -> EntryResource:
        """The resource of an entry of this folder (a shared folder's children are shared too)."""
        return entry_resource(path, self.environ, entry)

    def check_writing_into(self) -> None:
        """Refuse (DAVError) if this request may not create or change entries in this folder.

        A user's own folders take anything; a folder shared with them only what
        their grant allows (dav/shared/).
        """

    def get_member_names(self) -> list[str]:
        return [member.name for member in self.get_member_list()]

    def get_member(self, name: str) -> EntryResource | None:
        key = name_key(name)
        for member in self.get_member_list():
            if name_key(member.name) == key:
                return member
        return None

    def get_etag(self) -> str:
        return self.entry.etag

    def support_etag(self) -> bool:
        return True

    def create_empty_resource(self, name: str) -> DAVNonCollection:
        self.check_writing_into()
        if self.environ["REQUEST_METHOD"] == "PUT":
            # Nothing becomes visible until the body is safely stored.
            return self.pending(util.join_uri(self.path, name), name)
        # LOCK on an unmapped URL creates an empty resource (RFC 4918 7.3).
        empty = self.provider.blobs.writer()
        path = util.join_uri(self.path, name)
        with changing(self.provider.database, self.environ, "put", path) as change:
            info = blob_references.publish(change.session, empty)
            entry = tree.store_file(change.session, self.entry.user_id, self.entry.id, name, info,
                                    mime_type=tree.guess_mime_type(name, None), checksums=checksums.EMPTY,
                                    must_not_exist=True)
            change.about(entry)
            change.status_code, change.bytes, change.details = 201, 0, {"created_by": "LOCK"}
        created = self.child(path, entry)
        assert isinstance(created, FileResource)
        self.provider.remember(created.path, created, self.environ)
        return created

    def pending(self, path: str, name: str) -> DAVNonCollection:
        """The target of a PUT of a new name, until its bytes are stored."""
        return PendingFile(path, self.environ, self.entry, name)

    def create_collection(self, name: str) -> FolderResource:
        self.check_writing_into()
        path = util.join_uri(self.path, name)
        with changing(self.provider.database, self.environ, "mkcol", path) as change:
            folder = tree.create_folder(change.session, self.entry.user_id, self.entry.id, name)
            change.about(folder)
            change.status_code = 201
        created = self.child(path, folder)
        assert isinstance(created, FolderResource)
        self.provider.remember(created.path, created, self.environ)
        return created

    def support_recursive_delete(self) -> bool:
        return True


class FileResource(EntryResource, DAVNonCollection):
    entry: FileEntry

    def __init__(self, path: str, environ: dict[str, Any], entry: FileEntry) -> None:
        super().__init__(path, environ)
        self.entry = entry
        self._upload: Upload | None = None

    def get_content_length(self) -> int:
        return self.entry.size

    def get_content_type(self) -> str:
        return self.entry.mime_type

    def get_etag(self) -> str:
        return self.entry.etag

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def finalize_headers(self, environ: dict[str, Any], response_headers: list[tuple[str, str]]) -> None:
        # A GET of a file: its content never runs in the gateway's origin (dav/content_policy.py).
        response_headers.extend(content_policy.signed_in_headers())

    def get_content(self) -> BinaryIO:
        try:
            stream = self.provider.blobs.open(self.entry.hash)
        except FileNotFoundError:
            _log.error("blob %s of file %s is missing", self.entry.hash, self.entry.id)
            raise DAVError(500, "the file's content is missing; an administrator has been told") from None
        if self.provider.verify_on_read and wants_verification(self.environ):
            return VerifiedRead(stream, self.entry.hash, self.entry.size, self.provider.blobs,  # type: ignore[return-value]
                                f"file {self.entry.id}")
        return stream

    def begin_write(self, *, content_type: str | None = None) -> Upload:
        conditional = any(key in self.environ for key in
                          ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF"))
        self._upload = Upload(self, self.entry.folder_id, self.entry.name, content_type,
                              expected_version=self.entry.version if conditional else None)
        return self._upload

    def end_write(self, *, with_errors: bool) -> None:
        if with_errors and self._upload is not None:
            self._upload.abort()


class PendingUpload(DAVNonCollection):
    """The target of a PUT to a new name before its bytes are safe (nothing to read
    yet, no row), then the file it became. Subclasses say where it lands."""

    provider: MediaVaultProvider

    def __init__(self, path: str, environ: dict[str, Any], name: str) -> None:
        super().__init__(path, environ)
        self.name = name
        self.entry: FileEntry | None = None
        self._upload: Upload | None = None

    def get_content_length(self) -> int:
        return self.entry.size if self.entry else 0

    def get_content_type(self) -> str:
        return self.entry.mime_type if self.entry else tree.DEFAULT_MIME_TYPE

    def get_etag(self) -> str | None:
        return self.entry.etag if self.entry else None

    def support_etag(self) -> bool:
        return True

    def get_content(self) -> BinaryIO:
        raise DAVError(HTTP_NOT_FOUND)

    def end_write(self, *, with_errors: bool) -> None:
        if with_errors and self._upload is not None:
            self._upload.abort()

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        if self.entry is None or dry_run:
            return True
        stored = FileResource(self.path, self.environ, self.entry)
        stored.set_last_modified(dest_path, time_stamp, dry_run=False)
        self.entry = stored.entry
        return True


class PendingFile(PendingUpload):
    """A new file of a /Files/ folder."""

    def __init__(self, path: str, environ: dict[str, Any], folder: FolderEntry, name: str) -> None:
        super().__init__(path, environ, name)
        self.folder = folder

    def get_ref_url(self) -> str:
        return f"/~{self.folder.user_id}" + super().get_ref_url()

    def begin_write(self, *, content_type: str | None = None) -> Upload:
        must_not_exist = self.environ.get("HTTP_IF_NONE_MATCH", "").strip() == "*"
        self._upload = Upload(self, self.folder.id, self.name, content_type,
                              must_not_exist=must_not_exist)
        return self._upload


class Upload:
    """The body of one PUT: streamed into a blob, then committed in one transaction."""

    def __init__(self, resource: FileResource | PendingFile, folder_id: int, name: str,
                 content_type: str | None, *, expected_version: int | None = None,
                 must_not_exist: bool = False) -> None:
        self._resource = resource
        self._folder_id = folder_id
        self._name = name
        self._content_type = content_type
        self._expected_version = expected_version
        self._must_not_exist = must_not_exist
        self._modified_at: datetime | None = modification_time.from_header(resource.environ)
        self._expected_length = _announced_length(resource.environ)
        # The quota and the largest upload, checked before a byte is stored when the
        # size is announced, and as the bytes arrive when it is not (chunked bodies).
        self._limits = resource.provider.upload_limits(resource.environ, self.owner_id())
        if self._expected_length is not None:
            _refuse(self._limits.refusal(self._expected_length))
        self._writer: BlobWriter | None = resource.provider.blobs.writer()
        self._checksums = checksums.ChecksumStream()
        self._digests: checksums.Checksums | None = None

    def owner_id(self) -> int:
        """Whose quota the upload uses: the owner of the folder it lands in."""
        resource = self._resource
        return resource.entry.user_id if resource.entry else resource.folder.user_id  # type: ignore[union-attr]

    def write(self, chunk: bytes) -> None:
        assert self._writer is not None
        self._checksums.update(chunk)  # first: MD5 and SHA-1 run beside the blob write
        try:
            self._writer.write(chunk)
        except OSError as error:
            self.abort()
            raise _storage_error(error) from None
        if self._expected_length is None:
            refusal = self._limits.refusal(self._writer.bytes_written)
            if refusal is not None:
                self.abort()  # keep nothing of it
                _refuse(refusal)

    def close(self) -> None:
        assert self._writer is not None
        received = self._writer.bytes_written
        if self._expected_length is not None and received != self._expected_length:
            # The client went away mid-body: never store a truncated file.
            self.abort()
            raise DAVError(HTTP_BAD_REQUEST, f"expected {self._expected_length} bytes, received {received}")
        writer, self._writer = self._writer, None
        self._digests = self._checksums.finish()
        resource = self._resource
        try:
            with changing(resource.provider.database, resource.environ, "put", resource.path) as change:
                # Published under the blob lock, so gc cannot take it before the commit.
                try:
                    info: BlobInfo = blob_references.publish(change.session, writer)
                except OSError as error:
                    raise _storage_error(error) from None
                entry = self.store(change.session, info)
                change.about(entry)
                change.status_code = 204 if isinstance(resource, FileResource) else 201
                change.bytes = info.size
        except Exception as error:  # noqa: BLE001 - WsgiDAV turns anything but a DAVError into 500
            writer.abort()
            raise to_dav_error(error) from None
        resource.entry = entry
        resource.provider.stored(entry)  # after the commit: e.g. read media metadata later

    def store(self, session: Session, info: BlobInfo) -> FileEntry:
        """Make the safely written blob the file's content (a virtual folder may add more)."""
        return tree.store_file(
            session, self.owner_id(), self._folder_id, self._name, info,
            mime_type=tree.guess_mime_type(self._name, self._content_type), checksums=self._digests,
            modified_at=self._modified_at, expected_version=self._expected_version,
            must_not_exist=self._must_not_exist,
        )

    def abort(self) -> None:
        self._checksums.abort()
        if self._writer is not None:
            self._writer.abort()
            self._writer = None


def _refuse(refusal: VaultError | None) -> None:
    if refusal is not None:
        raise to_dav_error(refusal)


def _storage_error(error: OSError) -> DAVError:
    if error.errno == errno.ENOSPC:
        _log.error("the blob store is full")
        return to_dav_error(QuotaExceeded("the vault's storage is full"))
    _log.error("writing a blob failed: %s", error.strerror)
    return DAVError(500, "the upload could not be stored")


def _resource_type(resource: EntryResource) -> Any:
    if not resource.is_collection:
        return ""
    element = etree.Element("{DAV:}resourcetype")
    etree.SubElement(element, "{DAV:}collection")
    return element


def _file_only(read: Any) -> Any:
    return lambda resource: read(resource) if isinstance(resource, FileResource) else None


# Answered from the row snapshot. Checksums, Win32LastModifiedTime and quotas are
# answered only when asked for by name (allprop lists WsgiDAV's standard names and
# the dead properties).
_LIVE_PROPERTIES: dict[str, Any] = {
    "{DAV:}creationdate": lambda resource: util.get_rfc3339_time(resource.get_creation_date()),
    "{DAV:}getlastmodified": lambda resource: util.get_rfc1123_time(resource.get_last_modified()),
    "{DAV:}displayname": lambda resource: resource.get_display_name(),
    "{DAV:}resourcetype": _resource_type,
    "{DAV:}getcontentlength": _file_only(lambda resource: str(resource.entry.size)),
    "{DAV:}getcontenttype": _file_only(lambda resource: resource.entry.mime_type),
    # An entity tag, quoted as in the ETag header (RFC 4918 15.6).
    "{DAV:}getetag": lambda resource: f'"{resource.entry.etag}"',
    owncloud.CHECKSUMS: _file_only(lambda resource: owncloud.checksums_element(
        resource.entry.hash, resource.entry.md5, resource.entry.sha1)),
    modification_time.WIN32_LAST_MODIFIED: lambda resource: modification_time.rfc1123(resource.entry.modified_at),
    lockdiscovery.NAME: lockdiscovery.element,
    # Folders answer these (QuotaProperties, ahead in their MRO); files have none.
    quota.USED: lambda resource: None,
    quota.AVAILABLE: lambda resource: None,
}


def _announced_length(environ: dict[str, Any]) -> int | None:
    for key in ("CONTENT_LENGTH", "HTTP_X_EXPECTED_ENTITY_LENGTH"):
        value = environ.get(key)
        if value not in (None, ""):
            try:
                return int(value)
            except ValueError:
                raise DAVError(HTTP_BAD_REQUEST, f"invalid {key}") from None
    return None


def entry_resource(path: str, environ: dict[str, Any], entry: Entry) -> EntryResource:
    if isinstance(entry, FolderEntry):
        return FolderResource(path, environ, entry)
    return FileResource(path, environ, entry)


def files_segments(path: str) -> list[str] | None:
    """Segments below /Files for a path inside it, else None; names are checked."""
    if path != FILES_ROOT and not path.startswith(FILES_ROOT + "/"):
        return None
    try:
        return split_path(path[len(FILES_ROOT):])
    except VaultError as error:
        raise DAVError(HTTP_BAD_REQUEST, str(error)) from None


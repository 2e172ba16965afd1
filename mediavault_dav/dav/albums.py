"""``/Albums/``: one folder per album; its members are files of ``/Files/``.

MKCOL in /Albums/ creates an album, MOVE renames it, DELETE deletes the album and
never its files. Inside an album: COPY of any file of the vault adds it, DELETE of
a member takes it out of the album only, MOVE to another album or tag moves the
membership, a PUT of a new name stores the file in ``/Files/Albums/<album>/`` and
adds it (vault/albums.py), and a PUT over a member saves that file. Housekeeping
files a client writes here (``._name``, ``.DS_Store``) are stored in that folder,
readable by their name, and never members.

Two MediaVault properties: ``mv:cover`` on the album (the name of the member used
as its cover) and ``mv:position`` on a member (a whole number; members are listed
by position, unset last, then by when they were added).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_error import HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVNonCollection

from mediavault_dav.blobs import BlobInfo
from mediavault_dav.dav import media_properties
from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.files import CREATED_KEY, FileResource
from mediavault_dav.dav.virtual import (
    Area,
    MemberCollection,
    MemberFile,
    PendingMember,
    dav_errors,
    refuse,
    renamed_within,
    timestamp,
)
from mediavault_dav.vault import albums, blob_references, tree
from mediavault_dav.vault.albums import Album
from mediavault_dav.vault.checksums import EMPTY as EMPTY_CHECKSUMS
from mediavault_dav.vault.checksums import Checksums
from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.tree import FileEntry

COVER = media_properties.clark("cover")
POSITION = media_properties.clark("position")


class AlbumsCollection(Area):
    display_name = "Albums"
    refusal = "only albums (folders) can be created in /Albums/; upload files into an album"

    def items(self, session: Session) -> list[Album]:
        return albums.list_albums(session, self.provider.user_id(self.environ))

    def find_item(self, session: Session, name: str) -> Album | None:
        return albums.find_album(session, self.provider.user_id(self.environ), name)

    def folder(self, item: Album) -> AlbumCollection:
        return AlbumCollection(self.child_path(item.name), self.environ, item)

    def create_collection(self, name: str) -> AlbumCollection:
        with dav_errors(), changing(self.provider.database, self.environ, "mkcol", self.child_path(name)) as change:
            album = albums.create_album(change.session, self.provider.user_id(self.environ), name)
            change.resource_type, change.resource_id, change.status_code = "album", album.id, 201
        created = self.folder(album)
        self.provider.remember(created.path, created, self.environ)
        return created


class AlbumCollection(MemberCollection):
    writable = True
    kind = "album"
    refusal = "an album holds files, not folders"
    member_properties = (POSITION,)

    def __init__(self, path: str, environ: dict[str, Any], album: Album) -> None:
        super().__init__(path, environ)
        self.album = album

    def get_display_name(self) -> str:
        return self.album.name

    def get_creation_date(self) -> float:
        return timestamp(self.album.created_at)

    def get_last_modified(self) -> float:
        return timestamp(self.album.updated_at)

    # --- members ---------------------------------------------------------------------

    def owner_id(self) -> int:
        return self.album.user_id

    def members(self, session: Session) -> list[Member]:
        return albums.album_members(session, self.album)

    def find(self, session: Session, name: str) -> Member | None:
        return albums.find_album_member(session, self.album, name)

    def add(self, session: Session, entry: FileEntry) -> None:
        albums.add_file(session, self.album, entry)

    def remove(self, session: Session, file_id: int) -> None:
        albums.remove_file(session, self.album, file_id)

    # --- uploads ----------------------------------------------------------------------

    def create_empty_resource(self, name: str) -> DAVNonCollection:
        if self.environ["REQUEST_METHOD"] == "PUT":
            return PendingMember(self.child_path(name), self.environ, self, name)
        # LOCK on a new name creates an empty file (RFC 4918 7.3), here as for an upload.
        empty = self.provider.blobs.writer()
        with dav_errors(), changing(self.provider.database, self.environ, "put", self.child_path(name)) as change:
            info = blob_references.publish(change.session, empty)  # under the blob lock: gc cannot take it
            entry = self.store_upload(change.session, name, info, mime_type=tree.guess_mime_type(name, None),
                                      must_not_exist=True, checksums=EMPTY_CHECKSUMS)
            change.about(entry)
            change.status_code, change.bytes, change.details = 201, 0, {"created_by": "LOCK"}
        created: FileResource = MemberFile(self.child_path(name), self.environ,
                                           Member(name, entry, f"/{albums.UPLOAD_FOLDER}/{self.album.name}"), self)
        if is_housekeeping(name):
            created = FileResource(self.child_path(name), self.environ, entry)
        self.provider.remember(created.path, created, self.environ)
        return created

    def store_upload(self, session: Session, name: str, info: BlobInfo, *, mime_type: str,
                     must_not_exist: bool, checksums: Checksums | None = None,
                     modified_at: datetime | None = None) -> FileEntry:
        """A new file for the album: into its upload folder, then into the album.

        A client's housekeeping file (Finder's ``._name`` beside a copied photo) is
        stored so the client works, but never becomes a member.
        """
        folder = albums.upload_folder(session, self.album)
        entry = tree.store_file(session, self.album.user_id, folder.id, name, info, mime_type=mime_type,
                                checksums=checksums, modified_at=modified_at, must_not_exist=must_not_exist)
        if not is_housekeeping(name):
            albums.add_file(session, self.album, entry)
        return entry

    def get_member(self, name: str) -> FileResource | None:
        if is_housekeeping(name):
            # Never listed, but a client that wrote one here can read, lock or delete it.
            with dav_errors(), self.provider.database.reading() as session:
                entry = tree.resolve(session, self.album.user_id, [albums.UPLOAD_FOLDER, self.album.name, name])
            return FileResource(self.child_path(name), self.environ, entry) if isinstance(entry, FileEntry) else None
        return super().get_member(name)

    # --- the album itself ------------------------------------------------------------------

    def handle_delete(self) -> bool:
        """Deletes the album; its files stay in /Files/."""
        with dav_errors(), changing(self.provider.database, self.environ, "delete", self.path) as change:
            change.resource_type, change.resource_id, change.status_code = "album", self.album.id, 204
            albums.delete_album(change.session, self.album)
        return True

    def handle_move(self, dest_path: str) -> bool:
        new_name = renamed_within("/Albums/", dest_path)
        with dav_errors(), changing(self.provider.database, self.environ, "move", self.path) as change:
            change.resource_type, change.resource_id = "album", self.album.id
            change.details = {"destination": dest_path}
            replaced = albums.rename_album(change.session, self.album, new_name,
                                           replace=self.environ.get("HTTP_OVERWRITE", "T") == "T")
        self.environ[CREATED_KEY] = not replaced
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        refuse("an album cannot be copied; create an album and copy files into it")

    # --- properties ----------------------------------------------------------------------

    def get_property_value(self, name: str) -> Any:
        if name == COVER:
            with self.provider.database.reading() as session:
                cover = albums.cover_name(session, self.album)
            if cover is None:
                raise DAVError(HTTP_NOT_FOUND)
            return cover
        return super().get_property_value(name)

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> None:
        if name != COVER:
            return super().set_property_value(name, value, dry_run=dry_run)
        wanted = None if value is None else (value.text or "").strip()
        if dry_run:
            with dav_errors(), self.provider.database.reading() as session:
                if wanted and self.find(session, wanted) is None:
                    refuse(f"{wanted!r} is not a file of this album")
            return None
        with dav_errors(), changing(self.provider.database, self.environ, "proppatch", self.path) as change:
            change.resource_type, change.resource_id = "album", self.album.id
            change.details = {"property": name, "removed": wanted is None}
            member = self.find(change.session, wanted) if wanted else None
            if wanted and member is None:
                refuse(f"{wanted!r} is not a file of this album")
            albums.set_cover(change.session, self.album, member.entry.id if member else None)
        return None

    def member_property(self, member: Member, name: str) -> Any:
        if member.position is None:
            raise DAVError(HTTP_NOT_FOUND)
        return str(member.position)

    def set_member_property(self, member: Member, name: str, value: Any, *, dry_run: bool) -> None:
        text = None if value is None else (value.text or "").strip()
        if text is not None and not text.isdigit():
            refuse("a position is a whole number of 0 or more")
        if dry_run:
            return
        path = self.child_path(member.name)
        with dav_errors(), changing(self.provider.database, self.environ, "proppatch", path) as change:
            change.about(member.entry)
            change.details = {"property": name, "removed": text is None}
            albums.set_position(change.session, self.album, member.entry.id, None if text is None else int(text))

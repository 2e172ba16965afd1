"""All tables, importable from one place (Alembic reads ``Base.metadata``)."""

from mediavault_dav.db.models.base import Base
from mediavault_dav.db.models.content import Category, File, Folder, MediaFile
from mediavault_dav.db.models.dav import DavLock, DavProperty
from mediavault_dav.db.models.organisation import (
    Album,
    AlbumFile,
    FileTag,
    PlayHistory,
    Playlist,
    PlaylistTrack,
    SmartFolder,
    Tag,
)
from mediavault_dav.db.models.security import ActivityLog, Permission, Session, ShareLink, SignInFailure
from mediavault_dav.db.models.system import ImportBatch, SystemSetting
from mediavault_dav.db.models.users import User

# The 19 tables of the seed document, in its order.
SEED_TABLES: tuple[str, ...] = (
    "sessions", "users", "media_files", "files", "folders",
    "categories", "albums", "tags", "smart_folders",
    "album_files", "file_tags", "playlist_tracks",
    "playlists", "play_history",
    "activity_logs", "permissions", "share_links",
    "import_batches", "system_settings",
)
GATEWAY_TABLES: tuple[str, ...] = ("dav_locks", "dav_properties", "sign_in_failures")

# The seed's index names, each with its table.
SEED_INDEXES: dict[str, str] = {
    "IDX_session_expire": "sessions",
    "sessions_pkey": "sessions",
    "idx_media_files_sha256": "media_files",
    "idx_files_hash": "files",
    "idx_media_files_uploaded_by": "media_files",
    "idx_files_user": "files",
    "idx_folders_user": "folders",
    "idx_media_files_category": "media_files",
    "idx_files_folder": "files",
    "idx_folders_parent": "folders",
    "idx_media_files_created_at": "media_files",
    "idx_playlists_created": "playlists",
}

__all__ = [
    "GATEWAY_TABLES", "SEED_INDEXES", "SEED_TABLES",
    "ActivityLog", "Album", "AlbumFile", "Base", "Category", "DavLock", "DavProperty",
    "File", "FileTag", "Folder", "ImportBatch", "MediaFile", "Permission", "PlayHistory",
    "Playlist", "PlaylistTrack", "Session", "ShareLink", "SignInFailure", "SmartFolder", "SystemSetting",
    "Tag", "User",
]

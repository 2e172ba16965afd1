"""``/Smart Folders/``: the live results of saved rule sets, read-only.

Each folder's rules compile to one statement (vault/smart_rules.py), run when the
folder is read, so a file uploaded a moment ago is there at once. Smart folders
are created and changed with ``mediavault-dav smart-folder``; over DAV every
write is a 403 that says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.dav.virtual import Area, MemberCollection, timestamp
from mediavault_dav.vault import smart_folders
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.smart_folders import SmartFolder

AREA_REFUSAL = ("smart folders are read-only over WebDAV; manage them with "
                "`mediavault-dav smart-folder create|update|delete`")
FOLDER_REFUSAL = ("a smart folder is read-only: it shows the live result of its rules; change files in "
                  "/Files/, or the rules with `mediavault-dav smart-folder update`")


class SmartFoldersCollection(Area):
    display_name = "Smart Folders"
    refusal = AREA_REFUSAL

    def items(self, session: Session) -> list[SmartFolder]:
        return smart_folders.list_smart_folders(session, self.provider.user_id(self.environ))

    def find_item(self, session: Session, name: str) -> SmartFolder | None:
        return smart_folders.find_smart_folder(session, self.provider.user_id(self.environ), name)

    def folder(self, item: SmartFolder) -> SmartFolderCollection:
        return SmartFolderCollection(self.child_path(item.name), self.environ, item)


class SmartFolderCollection(MemberCollection):
    kind = "smart folder"
    refusal = FOLDER_REFUSAL

    def __init__(self, path: str, environ: dict[str, Any], folder: SmartFolder) -> None:
        super().__init__(path, environ)
        self.folder = folder

    def get_display_name(self) -> str:
        return self.folder.name

    def get_creation_date(self) -> float:
        return timestamp(self.folder.created_at)

    def get_last_modified(self) -> float:
        return timestamp(self.folder.updated_at)

    def owner_id(self) -> int:
        return self.folder.user_id

    def members(self, session: Session) -> list[Member]:
        return smart_folders.smart_folder_members(session, self.folder)

    def find(self, session: Session, name: str) -> Member | None:
        return smart_folders.find_smart_folder_member(session, self.folder, name)

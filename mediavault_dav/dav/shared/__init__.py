"""``/Shared With Me/``: what other users granted the signed-in user (vault/permissions.py).

- ``place.py``: where a shared item appears and how its paths map to the owner's
  tree (lock keys), and asking the grant (``Place.require``);
- ``area.py``: the two listing levels and resolving a path below them;
- ``files.py``: shared folders and files (the ``/Files/`` resources, grant-aware);
- ``collections.py``: shared albums and smart folders;
- ``gate.py``: a request's method checked against its grant before WsgiDAV acts.

What each level allows is decided in one place, vault/permissions.py; what it
means for each method is in docs/permissions.md.
"""

from mediavault_dav.dav.shared.area import SharedWithMeCollection, resolve
from mediavault_dav.dav.shared.gate import check_request
from mediavault_dav.dav.shared.place import SHARED_ROOT, is_shared_path, places_reached, shared_path_of

__all__ = ["SHARED_ROOT", "SharedWithMeCollection", "check_request", "is_shared_path", "places_reached",
           "resolve", "shared_path_of"]

"""A request below /Shared With Me checked against its grant before WsgiDAV acts on it.

The resources refuse what their grant does not allow too (dav/shared/files.py,
collections.py); checking the method first gives every refused write the same
clean answer — a 403 with the grant's reason — before WsgiDAV looks at locks,
bodies or parents, and a PROPPATCH a bare 403 instead of a 207 listing one 403
per property (Explorer reads that as "cannot be accessed"). What each action
needs is decided by vault/permissions.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wsgidav import util

from mediavault_dav.dav.shared.place import Place, is_shared_path
from mediavault_dav.vault.permissions import Action

if TYPE_CHECKING:
    from mediavault_dav.dav.provider import MediaVaultProvider

ACTION_BY_METHOD = {
    "GET": Action.READ,
    "HEAD": Action.READ,
    "PROPFIND": Action.READ,
    "COPY": Action.READ,  # a COPY reads its source; where it lands is checked there
    "PUT": Action.CHANGE,
    "MKCOL": Action.CHANGE,
    "DELETE": Action.CHANGE,
    "PROPPATCH": Action.CHANGE,
    "MOVE": Action.CHANGE,
    "LOCK": Action.LOCK,
    "UNLOCK": Action.LOCK,
}
_CREATING = frozenset({"PUT", "MKCOL", "LOCK"})  # may name something new: its folder decides


def check_request(provider: MediaVaultProvider, environ: dict[str, Any]) -> None:
    """Raise a 403 DAVError if the request's grant does not allow its method."""
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    action = ACTION_BY_METHOD.get(method)
    if action is None or not is_shared_path(path):
        return
    resource = provider.get_resource_inst(path, environ)
    if resource is None and method in _CREATING:
        resource = provider.get_resource_inst(util.get_uri_parent(path.rstrip("/")), environ)
    place: Place | None = getattr(resource, "place", None)
    if place is None:
        return  # the listings refuse writes themselves; a missing path is a 404 or 409 as anywhere
    if method in ("DELETE", "MOVE") and place.is_root(path):
        action = Action.REMOVE
    place.require(action)

"""Counting a share's downloads: once per download, atomically, never per Range request.

- A request for a file's bytes *without* a Range header (a whole file), or a
  folder's zip, is a download of its own: it is counted when it starts.
- A request *with* a Range header (a player seeking, a download resumed, a
  client fetching a big file in parts) from a client address that started a
  download of the same file through the same share within ``GRANT_SECONDS`` is
  part of that download: not counted again, and still served after the limit has
  been reached, so a film being watched does not stop halfway. A Range request
  with no such download behind it starts one (and is counted).
- The count is taken when a download starts, not when it ends: that is the only
  moment it can be refused atomically. ``UPDATE … SET download_count =
  download_count + 1 WHERE download_count < max_downloads RETURNING`` queues
  concurrent starts on the share's row and re-checks the limit for each, so a
  share with one download left serves exactly one of twenty concurrent requests.
  A download the guest abandons still counts (as with Nextcloud and SFTPGo);
  resuming it with a Range request does not count again.
- The counted start is written to ``activity_logs`` (``share.download``) in the
  same transaction; that row is what later Range requests find. Range starts are
  serialised per share (the row lock is taken first) so that two Range requests
  of one player arriving together count once, not twice.
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault import activity
from mediavault_dav.vault.shares import OpenedShare

GRANT_SECONDS = 6 * 3600
ACTION = "share.download"


class Start(enum.Enum):
    COUNTED = "counted"  # a new download, counted
    CONTINUED = "continued"  # part of a download already counted
    REFUSED = "refused"  # the share's downloads are used up


_LOCK_SHARE = Statement("SELECT id FROM share_links WHERE id = :share FOR UPDATE")
_GRANTED = Statement(
    """SELECT 1 AS granted FROM activity_logs
       WHERE action = 'share.download'
         AND created_at > now() - make_interval(secs => CAST(:seconds AS double precision))
         AND resource_type = 'share_link' AND resource_id = :share
         AND client_address = CAST(:address AS inet) AND details->>'file' = :file
       LIMIT 1"""
)
_COUNT = Statement(
    """UPDATE share_links SET download_count = download_count + 1
       WHERE id = :share AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         AND (max_downloads IS NULL OR download_count < max_downloads)
       RETURNING download_count"""
)


def start(session: Session, share: OpenedShare, *, file_id: int | None, ranged: bool, path: str,
          client_address: str | None, user_agent: str | None) -> Start:
    """Decide whether this request is a new download, part of one, or refused.

    Call inside a transaction; ``file_id`` None means a folder's zip.
    """
    address = activity.ip_address_or_none(client_address)
    if ranged and file_id is not None and address is not None:
        _LOCK_SHARE.run(session, {"share": share.id})
        granted = _GRANTED.first(session, {"seconds": GRANT_SECONDS, "share": share.id, "address": address,
                                           "file": str(file_id)})
        if granted is not None:
            return Start.CONTINUED
    counted = _COUNT.first(session, {"share": share.id})
    if counted is None:
        return Start.REFUSED
    activity.record_request(session, activity.Request(
        action=ACTION, outcome="counted", user_id=share.owner_id, resource_type="share_link",
        resource_id=share.id, path=path, client_address=address, user_agent=user_agent,
        details={"token": share.token_prefix, "file": None if file_id is None else str(file_id),
                 "number": counted.download_count, "ranged": ranged},
    ))
    return Start.COUNTED

"""X-Forwarded-* headers are believed only from configured proxies.

WsgiDAV compares a COPY/MOVE Destination with the request's scheme and host and
honours X-Forwarded-Proto/Host when it does; a client could otherwise steer that
check, and forge its own address in logs, the audit trail and login throttling.
This middleware decides the client's address once (``CLIENT_ADDRESS_KEY``) and
removes forwarding headers that did not come from a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

CLIENT_ADDRESS_KEY = "mediavault.client_address"
FORWARDED_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                  "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


class ForwardedHeaders(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._trusted = [ipaddress.ip_network(net) for net in config["mediavault"]["trusted_proxies"]]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        environ[CLIENT_ADDRESS_KEY] = peer
        if not self._trusted or not self._from_trusted_proxy(peer):
            for key in FORWARDED_KEYS:
                environ.pop(key, None)
            return self.next_app(environ, start_response)
        forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
        # The proxy appends the address it saw last; earlier entries are client-supplied.
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops and _is_address(hops[-1]):
            environ[CLIENT_ADDRESS_KEY] = hops[-1]
        return self.next_app(environ, start_response)

    def _from_trusted_proxy(self, address: str) -> bool:
        if not _is_address(address):
            return False
        remote = ipaddress.ip_address(address)
        return any(remote in network for network in self._trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True

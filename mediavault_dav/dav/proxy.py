"""X-Forwarded-* headers are believed only from configured proxies.

WsgiDAV compares a COPY/MOVE Destination with the request's scheme and host and
honours X-Forwarded-Proto/Host when it does; a client could otherwise steer that
check, and forge its own address in the audit log.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

FORWARDED_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                  "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


class ForwardedHeaders(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._trusted = [ipaddress.ip_network(net) for net in config["mediavault"]["trusted_proxies"]]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self._from_trusted_proxy(environ.get("REMOTE_ADDR", "")):
            for key in FORWARDED_KEYS:
                environ.pop(key, None)
        return self.next_app(environ, start_response)

    def _from_trusted_proxy(self, address: str) -> bool:
        if not self._trusted:
            return False
        try:
            remote = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(remote in network for network in self._trusted)

"""The running gateway: settings → database → WsgiDAV app → cheroot.

``Gateway`` is what ``mediavault-dav serve`` runs and what the tests start on a free
port, so both exercise the same assembly.
"""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass

from cheroot import server as cheroot_server
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.dav.app import build_app
from mediavault_dav.db import maintenance
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import tidying
from mediavault_dav.vault.media_scanner import MediaScanner

_log = logging.getLogger(__name__)

MAX_REQUEST_HEADER_BYTES = 64 * 1024
SOCKET_TIMEOUT_SECONDS = 120  # cheroot's 10 s default aborts slow uploads (WsgiDAV #272)

# Finder sends one If header per lock token it holds (a MOVE of a locked file);
# cheroot keeps only the last of repeated headers unless it knows them as lists.
# Joined, "(<a>), (<b>)" is read by WsgiDAV as the two lists it is.
_LIST_HEADERS: list[bytes] = cheroot_server.comma_separated_headers  # type: ignore[attr-defined]  # untyped
if b"If" not in _LIST_HEADERS:
    _LIST_HEADERS.append(b"If")


@dataclass
class Gateway:
    settings: Settings
    database: Database

    def __post_init__(self) -> None:
        # Media metadata of uploads is read beside the server, never on the upload path.
        self.media_scanner = MediaScanner(self.database, LocalBlobStore(self.settings.blob_root))
        self.server = wsgi.Server(
            (self.settings.host, self.settings.port),
            build_app(self.settings, self.database, self.media_scanner),
            numthreads=self.settings.worker_threads,
            server_name="MediaVault-DAV",
            timeout=SOCKET_TIMEOUT_SECONDS,
            request_queue_size=64,
        )
        self.server.max_request_header_size = MAX_REQUEST_HEADER_BYTES
        self.server.keep_alive_conn_limit = max(10, self.settings.worker_threads * 2)
        if self.settings.tls_cert is not None and self.settings.tls_key is not None:
            adapter = BuiltinSSLAdapter(str(self.settings.tls_cert), str(self.settings.tls_key))
            adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
            self.server.ssl_adapter = adapter

    @property
    def url(self) -> str:
        host, port = self.server.bind_addr[:2]
        scheme = "https" if self.settings.tls_enabled else "http"
        shown = f"[{host}]" if ":" in host else host
        return f"{scheme}://{shown}:{port}/"

    def start(self) -> None:
        """Bind and serve in background threads; returns once the socket listens."""
        self._refresh_statistics()
        self.server.prepare()
        self.media_scanner.start()
        self._thread = threading.Thread(target=self.server.serve, name="cheroot", daemon=True)
        self._thread.start()
        self._stopping = threading.Event()
        if self.settings.housekeeping_interval_s > 0:
            self._housekeeper = threading.Thread(target=self._housekeeping, name="housekeeping",
                                                 daemon=True)
            self._housekeeper.start()

    def stop(self) -> None:
        self._stopping.set()
        self.server.stop()
        self.media_scanner.stop()

    def _refresh_statistics(self) -> None:
        """Planner statistics first, so no query plan is cached over missing ones
        (db/maintenance.analyze_outdated); serving without them is slower, not wrong."""
        try:
            analyzed = maintenance.analyze_outdated(self.database.engine)
        except Exception as error:  # noqa: BLE001 - an optimisation must not stop the server
            _log.warning("could not bring planner statistics up to date: %s", type(error).__name__)
            return
        if analyzed:
            _log.info("analyzed %s before serving", ", ".join(analyzed))

    def _housekeeping(self) -> None:
        """Tidy now and then (vault/tidying.py); an outage just waits for the next round."""
        told_about_audit = False
        while not self._stopping.wait(self.settings.housekeeping_interval_s):
            try:
                tidied = tidying.tidy(self.database)
            except Exception as error:  # noqa: BLE001 - the next round tries again
                _log.warning("housekeeping skipped: %s", type(error).__name__)
                continue
            if tidied.sessions or tidied.locks or tidied.sign_in_records or tidied.audit_rows:
                _log.info("housekeeping removed %d expired sessions, %d expired locks, %d old sign-in "
                          "records and %d audit rows past retention", tidied.sessions, tidied.locks,
                          tidied.sign_in_records, tidied.audit_rows or 0)
            if tidied.audit_rows is None and not told_about_audit:
                told_about_audit = True
                _log.warning("the audit trail is append-only for this database role: run "
                             "`mediavault-dav audit prune` as its owner to apply the retention setting")

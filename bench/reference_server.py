"""The reference the benchmarks compare against: WsgiDAV's stock FilesystemProvider on cheroot.

Run as ``python bench/reference_server.py ROOT PORT BLOCK_SIZE THREADS``. Anonymous,
no locking overhead beyond WsgiDAV's in-memory default: the plain, fast case.
"""

from __future__ import annotations

import sys

from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp


def main() -> None:
    root, port, block_size, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    app = WsgiDAVApp({
        "provider_mapping": {"/": root},
        "simple_dc": {"user_mapping": {"*": True}},
        "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
        "block_size": block_size,
        "verbose": 0,
        "logging": {"enable": False},
        "dir_browser": {"enable": False},
    })
    server = wsgi.Server(("127.0.0.1", port), app, numthreads=threads, request_queue_size=64)
    print("reference serving", flush=True)
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

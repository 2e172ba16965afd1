"""How fast small requests could be at best: a bare server with the vault's storage, beside the gateway.

    python bench/floor_bench.py [--rounds 3]

Issue 3 asks small PUTs and GETs to reach 0.8x the rate of WsgiDAV's
FilesystemProvider, with 4 clients on the same machine. This measures what any
server built on the vault's storage can reach there, by running, in one run:

- the **gateway** as shipped (``mediavault-dav serve``);
- the **floor**: a bare WSGI app on the same cheroot, database and blob store
  that does only the storage work a request cannot skip. A GET is one path lookup
  and the blob read; a PUT is the blob written and fsynced, then the path lookup
  and the row written in one transaction. No sign-in, locks, quota, audit row,
  conditional headers or WebDAV layer;
- the **reference**: WsgiDAV's FilesystemProvider with 1 MiB blocks (no fsync,
  no database).

Reported: median requests/s of each and the ratios to the reference, and CPU per
request of the server process and of PostgreSQL. Where the floor itself is under
0.8x, no amount of tuning the gateway reaches the target on that machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from files_bench import (  # noqa: E402 - the sibling benchmark's helpers
    MIB,
    SECRET,
    THREADS,
    Server,
    _free_port,
    _wait_until_serving,
    populate,
    small_requests,
    start_gateway,
    start_reference,
)

from mediavault_dav.settings import Settings  # noqa: E402

_FLOOR = "--floor-server"


def _run_floor_server(data_dir: Path, port: int) -> None:
    """The bare server: storage work only (see the module docstring)."""
    import sqlalchemy as sa
    from cheroot import wsgi

    from mediavault_dav.blobs import LocalBlobStore
    from mediavault_dav.dav.files import files_segments
    from mediavault_dav.db.database import open_database
    from mediavault_dav.vault import tree

    settings = Settings(data_dir=data_dir, session_secret=SECRET, secure_cookies=False)
    database = open_database(settings)
    blobs = LocalBlobStore(settings.blob_root)
    with database.reading() as session:
        user_id = session.execute(sa.text("SELECT id FROM users WHERE username = 'bench'")).scalar_one()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        segments = files_segments(environ["PATH_INFO"]) or []
        if environ["REQUEST_METHOD"] == "PUT":
            writer = blobs.writer()
            writer.write(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
            blob = writer.finish()
            with database.transaction() as session:
                located = tree.locate(session, user_id, segments)
                assert located.parent is not None
                tree.store_file(session, user_id, located.parent.id, segments[-1], blob,
                                mime_type="application/octet-stream")
            start_response("201 Created", [("Content-Length", "0")])
            return [b""]
        if environ["REQUEST_METHOD"] == "GET" and segments:
            with database.looking_up() as lookup:
                entry = tree.locate(lookup, user_id, segments).entry
            assert isinstance(entry, tree.FileEntry)
            with blobs.open(entry.hash) as stream:
                body = stream.read()
            start_response("200 OK", [("Content-Length", str(len(body))), ("ETag", f'"{entry.etag}"'),
                                      ("Content-Type", entry.mime_type)])
            return [body]
        start_response("200 OK", [("Content-Length", "0")])  # OPTIONS: "serving yet?"
        return [b""]

    server = wsgi.Server(("127.0.0.1", port), app, numthreads=THREADS, request_queue_size=64)
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()
    finally:
        database.close()


def start_floor(data_dir: Path) -> Server:
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, _FLOOR, str(data_dir), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url + "/", None, process)
    return Server("floor", process, url, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "floor.md")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mv-floor-"))
    settings = Settings(data_dir=workdir / "data", session_secret=SECRET, secure_cookies=False,
                        host="127.0.0.1", port=0, threads=THREADS)
    populate(settings, workdir / "reference", 10)
    servers = [start_gateway(settings.data_dir), start_floor(settings.data_dir),
               start_reference(workdir / "reference", MIB)]
    prefixes = {"gateway": "/Files", "floor": "/Files"}
    lines: list[str] = []
    try:
        puts = [f"/small/f{number:04d}.bin" for number in range(2000)]
        gets = [puts[number % len(puts)] for number in range(5000)]
        measured: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for _ in range(args.rounds):  # interleaved, so drifting noise hits all three alike
            for server in servers:
                prefix = prefixes.get(server.name, "")
                for method, paths in (("PUT", puts), ("GET", gets)):
                    measured.setdefault((server.name, method), []).append(
                        small_requests(server, method, [prefix + path for path in paths]))
        reference = servers[-1].name
        lines.append(f"| {args.rounds} rounds, 4 clients | requests/s | ÷ FS 1 MiB | server CPU ms/request "
                     "| PostgreSQL CPU ms/request |")
        lines.append("|---|---|---|---|---|")
        for method in ("PUT", "GET"):
            base = statistics.median(rate for rate, _, _ in measured[(reference, method)])
            for server in servers:
                runs = measured[(server.name, method)]
                rate = statistics.median(run[0] for run in runs)
                lines.append(f"| small {method}, {server.name} | {rate:.0f} | {rate / base:.2f}× | "
                             f"{statistics.median(run[1] for run in runs):.2f} | "
                             f"{statistics.median(run[2] for run in runs):.2f} |")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == _FLOOR:
        _run_floor_server(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()

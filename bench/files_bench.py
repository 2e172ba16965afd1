"""``/Files/`` against WsgiDAV's stock FilesystemProvider, on the same machine, in one run.

    python bench/files_bench.py [--big-mib 1024] [--members 10000] [--rounds 5]

Both servers run as separate processes (cheroot, same thread count); the clients run
here. The gateway is started exactly as a newcomer starts it (``mediavault-dav
serve`` on the embedded PostgreSQL); the reference serves a directory with the same
content, once with WsgiDAV's stock 8 KiB block and once with 1 MiB blocks. Reported:
medians, ratios, server CPU per request (gateway process; PostgreSQL's processes
separately), peak RSS while big files go up and down and while a big folder is
listed, and the SQL statements a PROPFIND Depth 1 costs for 100 and for N members
(counted on an in-process gateway over the same database).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import requests
import sqlalchemy as sa

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db.database import open_database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import tree, users

HERE = Path(__file__).resolve().parent
PASSWORD = "benchmark password 1"
SECRET = "benchmark-session-secret-" + "b" * 32
THREADS = 8
MIB = 1024 * 1024


# --- servers -----------------------------------------------------------------


@dataclasses.dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    auth: tuple[str, str] | None

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = self.auth
        return session

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, auth: tuple[str, str] | None, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            requests.request("OPTIONS", url, auth=auth, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"server for {url} did not start")


def start_gateway(data_dir: Path) -> Server:
    port = _free_port()
    env = {**os.environ, "MEDIAVAULT_DATA_DIR": str(data_dir), "SESSION_SECRET": SECRET,
           "SECURE_COOKIES": "false", "MEDIAVAULT_THREADS": str(THREADS)}
    for key in ("DATABASE_URL", "MEDIAVAULT_CONFIG"):
        env.pop(key, None)
    console = Path(sys.executable).parent / "mediavault-dav"
    process = subprocess.Popen([str(console), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url + "/Files/", ("bench", PASSWORD), process)
    return Server("gateway", process, url, ("bench", PASSWORD))


def start_reference(root: Path, block_size: int) -> Server:
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(HERE / "reference_server.py"), str(root), str(port),
                                str(block_size), str(THREADS)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url + "/", None, process)
    return Server(f"FilesystemProvider ({block_size // 1024} KiB blocks)", process, url, None)


def postgres_cpu_seconds() -> float:
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
    return total


class PeakRss:
    """Samples a process's RSS every 10 ms while a block runs."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self._stop = server, 0, threading.Event()

    def __enter__(self) -> PeakRss:
        self.baseline = self.server.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss())
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- content -------------------------------------------------------------------


def populate(settings: Settings, reference_root: Path, members: int) -> None:
    """The same folders in the vault (rows over one blob) and on disk."""
    database = open_database(settings)
    blobs = LocalBlobStore(settings.blob_root)
    writer = blobs.writer()
    writer.write(b"x" * 1024)
    blob = writer.finish()
    with database.transaction() as session:
        account = users.add_user(session, "bench", "bench@example.com", PASSWORD)
        root = tree.resolve(session, account.id, [])
        assert isinstance(root, tree.FolderEntry)
        for count in (100, members):
            folder = tree.create_folder(session, account.id, root.id, f"list{count}")
            for number in range(count):
                tree.store_file(session, account.id, folder.id, f"file-{number:05d}.txt", blob,
                                mime_type="text/plain")
        tree.create_folder(session, account.id, root.id, "small")
    database.close()
    for count in (100, members):
        directory = reference_root / f"list{count}"
        directory.mkdir(parents=True)
        for number in range(count):
            (directory / f"file-{number:05d}.txt").write_bytes(b"x" * 1024)
    (reference_root / "small").mkdir()


def count_propfind_statements(settings: Settings, members: int) -> dict[int, int]:
    """SQL statements per PROPFIND Depth 1, on an in-process gateway over the same database."""
    database = open_database(settings)
    gateway = Gateway(dataclasses.replace(settings, port=0), database)
    gateway.start()
    statements: list[str] = []
    sa.event.listen(database.engine, "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    session = requests.Session()
    session.auth = ("bench", PASSWORD)
    base = gateway.url.rstrip("/")
    session.request("PROPFIND", base + "/Files/", headers={"Depth": "0"})  # sign in once
    counts = {}
    for count in (100, members):
        # The fewest of three: sign-in re-validation (every 2 s) may add one lookup to any request.
        seen = []
        for _ in range(3):
            statements.clear()
            response = session.request("PROPFIND", f"{base}/Files/list{count}/", headers={"Depth": "1"})
            assert response.status_code == 207
            seen.append(len(statements))
        counts[count] = min(seen)
    gateway.stop()
    database.close()
    return counts


# --- measurements --------------------------------------------------------------


def median_seconds(action: Callable[[], None], rounds: int) -> float:
    action()  # warm caches on both sides
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def propfind(server: Server, path: str) -> Callable[[], None]:
    session = server.session()

    def run() -> None:
        response = session.request("PROPFIND", server.url + path, headers={"Depth": "1"})
        assert response.status_code == 207, response.status_code
        response.content  # noqa: B018 - read the whole listing
    return run


class _Body:
    """A streamed body of fresh content with a known length (so no chunked encoding)."""

    def __init__(self, total_mib: int, seed: bytes) -> None:
        self.total_mib, self.seed = total_mib, seed

    def __len__(self) -> int:
        return self.total_mib * MIB

    def __iter__(self) -> Iterator[bytes]:
        block = bytearray(os.urandom(MIB))
        for number in range(self.total_mib):
            block[:len(self.seed) + 8] = self.seed + number.to_bytes(8, "big")
            yield bytes(block)


def put_big(server: Server, path: str, total_mib: int) -> Callable[[], None]:
    session = server.session()
    counter = iter(range(1_000_000))

    def run() -> None:
        seed = f"{server.name}-{next(counter)}".encode()[:64]
        response = session.put(server.url + path, data=_Body(total_mib, seed))
        assert response.status_code in (201, 204), response.status_code
    return run


def get_big(server: Server, path: str) -> Callable[[], None]:
    session = server.session()

    def run() -> None:
        with session.get(server.url + path, stream=True) as response:
            assert response.status_code == 200
            for _ in response.iter_content(MIB):
                pass
    return run


def copy_big(server: Server, source: str, target: str) -> Callable[[], None]:
    session = server.session()

    def run() -> None:
        response = session.request("COPY", server.url + source,
                                   headers={"Destination": server.url + target, "Overwrite": "T"})
        assert response.status_code in (201, 204), response.status_code
    return run


def _small_worker(job: tuple[str, tuple[str, str] | None, str, list[str], bytes]) -> None:
    url, auth, method, paths, body = job
    session = requests.Session()
    session.auth = auth
    for number, path in enumerate(paths):
        if method == "PUT":
            # Distinct content for every request (the worker's body is random per run):
            # identical bodies would let the gateway skip storing all but the first.
            response = session.put(url + path, data=number.to_bytes(8, "big") + body[8:])
            assert response.status_code in (201, 204), response.status_code
        else:
            response = session.get(url + path)
            assert response.status_code == 200, response.status_code


def small_requests(server: Server, method: str, paths: list[str], clients: int = 4) -> tuple[float, float, float]:
    """(requests per second, gateway CPU ms per request, PostgreSQL CPU ms per request)."""
    jobs = [(server.url, server.auth, method, paths[index::clients], os.urandom(4096)) for index in range(clients)]
    cpu_before, pg_before = server.cpu_seconds(), postgres_cpu_seconds()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        pool.map(_small_worker, jobs)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    pg = postgres_cpu_seconds() - pg_before
    return len(paths) / elapsed, 1000 * cpu / len(paths), 1000 * pg / len(paths)


# --- the run ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "files.md")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mv-bench-", dir=args.workdir))
    settings = Settings(data_dir=workdir / "data", session_secret=SECRET, secure_cookies=False,
                        host="127.0.0.1", port=0, threads=THREADS)
    reference_root = workdir / "reference"
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        populate(settings, reference_root, args.members)
        statement_counts = count_propfind_statements(settings, args.members)
        gateway = start_gateway(settings.data_dir)
        ref8k = start_reference(reference_root, 8 * 1024)
        ref1m = start_reference(reference_root, MIB)
        refs = (ref8k, ref1m)
        try:
            report(f"# /Files/ benchmark — {time.strftime('%Y-%m-%d %H:%M')}, "
                   f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {THREADS} server threads")
            report("")
            report("| measurement | gateway | FS 8 KiB | FS 1 MiB | gateway / FS 1 MiB |")
            report("|---|---|---|---|---|")

            def row(label: str, ours: float, eight: float, one: float, unit: str, better_low: bool) -> None:
                ratio = (one / ours if better_low else ours / one) if ours and one else float("nan")
                report(f"| {label} | {ours:.3f} {unit} | {eight:.3f} {unit} | {one:.3f} {unit} | "
                       f"{ratio:.2f}× {'faster' if ratio >= 1 else 'slower'} |")

            for count in (100, args.members):
                path = f"/Files/list{count}/"
                with PeakRss(gateway) as memory:
                    ours = median_seconds(propfind(gateway, path), args.rounds)
                times = [median_seconds(propfind(ref, path.removeprefix("/Files")), args.rounds) for ref in refs]
                row(f"PROPFIND Depth 1, {count} members (median s)", ours, *times, "s", better_low=True)
                if count == args.members:
                    listing_rss = (memory.baseline, memory.peak)

            big = args.big_mib
            with PeakRss(gateway) as put_memory:
                ours = median_seconds(put_big(gateway, "/Files/big.bin", big), max(1, args.rounds // 2))
            put_times = [median_seconds(put_big(ref, "/big.bin", big), max(1, args.rounds // 2)) for ref in refs]
            row(f"PUT {big} MiB (MiB/s)", big / ours, *(big / t for t in put_times), "MiB/s", better_low=False)

            with PeakRss(gateway) as get_memory:
                ours = median_seconds(get_big(gateway, "/Files/big.bin"), args.rounds)
            get_times = [median_seconds(get_big(ref, "/big.bin"), args.rounds) for ref in refs]
            row(f"GET {big} MiB (MiB/s)", big / ours, *(big / t for t in get_times), "MiB/s", better_low=False)

            ours = median_seconds(copy_big(gateway, "/Files/big.bin", "/Files/big-copy.bin"), args.rounds)
            copy_times = [median_seconds(copy_big(ref, "/big.bin", "/big-copy.bin"), 1) for ref in refs]
            row(f"COPY {big} MiB (median s)", ours, *copy_times, "s", better_low=True)

            puts = [f"/small/f{number:04d}.bin" for number in range(2000)]
            gets = [puts[number % len(puts)] for number in range(5000)]
            small: dict[str, dict[str, tuple[float, float, float]]] = {}
            for server, prefix in ((gateway, "/Files"), (ref8k, ""), (ref1m, "")):
                small[server.name] = {
                    "PUT": small_requests(server, "PUT", [prefix + path for path in puts]),
                    "GET": small_requests(server, "GET", [prefix + path for path in gets]),
                }
            for method, count in (("PUT", 2000), ("GET", 5000)):
                rates = [small[server.name][method][0] for server in (gateway, ref8k, ref1m)]
                row(f"{count} small {method}s, 4 clients (req/s)", *rates, "req/s", better_low=False)
            report("")
            report("| CPU per small request (ms) | gateway process | its PostgreSQL | FS 8 KiB | FS 1 MiB |")
            report("|---|---|---|---|---|")
            for method in ("PUT", "GET"):
                ours = small[gateway.name][method]
                report(f"| {method} | {ours[1]:.2f} | {ours[2]:.2f} | {small[ref8k.name][method][1]:.2f} | "
                       f"{small[ref1m.name][method][1]:.2f} |")
            report("")
            report(f"SQL statements per PROPFIND Depth 1: {statement_counts}")
            mib = lambda value: f"{value / MIB:.0f} MiB"  # noqa: E731
            report(f"Gateway RSS: listing {args.members} members {mib(listing_rss[0])} → peak {mib(listing_rss[1])}; "
                   f"PUT {big} MiB {mib(put_memory.baseline)} → peak {mib(put_memory.peak)}; "
                   f"GET {big} MiB {mib(get_memory.baseline)} → peak {mib(get_memory.peak)}")
            report(f"hashlib SHA-256 on this machine: {sha256_speed():.0f} MiB/s")
        finally:
            for server in (gateway, ref8k, ref1m):
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


def sha256_speed() -> float:
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(512):
        digest.update(block)
    return 512 / (time.perf_counter() - started)


if __name__ == "__main__":
    main()

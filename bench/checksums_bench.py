"""What computing MD5 and SHA-1 during a PUT costs, against leaving them to a job afterwards.

    python bench/checksums_bench.py [--big-mib 1024] [--rounds 3]

rclone's ``check`` needs MD5 or SHA-1 (``oc:checksums``); SHA-256 is computed anyway
(it names the blob). Two gateway processes run side by side on one embedded
PostgreSQL and one blob directory:

- **as shipped**: MD5 and SHA-1 computed while the body streams, in a thread of
  their own (vault/checksums.py);
- **deferred**: the same gateway with that pass replaced by nothing, which is
  what the upload path of a "fill them in later" design would cost.

Big PUTs alternate between the two; reported are the median MiB/s and the CPU
seconds each gateway process spent per GiB. Then the work a deferred job would do
afterwards is measured on the stored blob: reading it back through the blob
store and hashing MD5 and SHA-1 (seconds, MiB/s, CPU seconds).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from files_bench import (  # noqa: E402 - the sibling benchmark's helpers
    MIB,
    PASSWORD,
    SECRET,
    THREADS,
    Server,
    _Body,
    _free_port,
    _wait_until_serving,
)

from mediavault_dav.blobs import LocalBlobStore  # noqa: E402
from mediavault_dav.db.database import open_database  # noqa: E402
from mediavault_dav.settings import Settings  # noqa: E402
from mediavault_dav.vault import users  # noqa: E402

# Run as ``python checksums_bench.py --deferred-gateway serve --port N``: the
# gateway with the MD5/SHA-1 pass taken out.
_DEFERRED = "--deferred-gateway"


class _NoChecksums:
    def update(self, chunk: bytes) -> None:
        pass

    def finish(self) -> None:
        return None

    def abort(self) -> None:
        pass


def _run_deferred_gateway(arguments: list[str]) -> None:
    from mediavault_dav.cli import main
    from mediavault_dav.vault import checksums

    checksums.ChecksumStream = _NoChecksums  # type: ignore[misc,assignment]
    sys.argv = ["mediavault-dav", *arguments]
    main()


def _start(name: str, command: list[str], data_dir: Path) -> Server:
    port = _free_port()
    env = {**os.environ, "MEDIAVAULT_DATA_DIR": str(data_dir), "SESSION_SECRET": SECRET,
           "SECURE_COOKIES": "false", "MEDIAVAULT_THREADS": str(THREADS)}
    for key in ("DATABASE_URL", "MEDIAVAULT_CONFIG"):
        env.pop(key, None)
    process = subprocess.Popen([*command, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url + "/Files/", ("bench", PASSWORD), process)
    return Server(name, process, url, ("bench", PASSWORD))


def _put(server: Server, path: str, mib: int, seed: bytes) -> tuple[float, float]:
    """(seconds, gateway CPU seconds) for one PUT of ``mib`` MiB of fresh content."""
    session = server.session()
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    response = session.put(server.url + path, data=_Body(mib, seed))
    elapsed = time.perf_counter() - started
    assert response.status_code in (201, 204), response.status_code
    return elapsed, server.cpu_seconds() - cpu


def _deferred_job(blobs: LocalBlobStore, sha256: str) -> tuple[float, float, int]:
    """What a job filling MD5 and SHA-1 after the upload spends: (s, CPU s, bytes)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    md5, sha1 = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
    size = 0
    with blobs.open(sha256) as blob:
        while block := blob.read(MIB):
            md5.update(block)
            sha1.update(block)
            size += len(block)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return elapsed, usage.ru_utime + usage.ru_stime - cpu, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "checksums.md")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mv-checksums-", dir=args.workdir))
    data_dir = workdir / "data"
    settings = Settings(data_dir=data_dir, session_secret=SECRET, secure_cookies=False,
                        host="127.0.0.1", port=0, threads=THREADS)
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        database = open_database(settings)
        with database.transaction() as session:
            users.add_user(session, "bench", "bench@example.com", PASSWORD)
        database.close()
        console = str(Path(sys.executable).parent / "mediavault-dav")
        shipped = _start("as shipped (MD5 + SHA-1 during the PUT)", [console], data_dir)
        deferred = _start("deferred (no MD5/SHA-1 during the PUT)",
                          [sys.executable, str(Path(__file__).resolve()), _DEFERRED], data_dir)
        try:
            mib = args.big_mib
            results: dict[str, list[tuple[float, float]]] = {shipped.name: [], deferred.name: []}
            for server in (shipped, deferred):  # warm up both
                _put(server, "/Files/warm.bin", 64, os.urandom(8))
            for number in range(args.rounds):
                for server in (shipped, deferred) if number % 2 == 0 else (deferred, shipped):
                    results[server.name].append(_put(server, f"/Files/big-{number}.bin", mib, os.urandom(8)))
            report(f"# MD5/SHA-1 during the PUT, or after — {time.strftime('%Y-%m-%d %H:%M')}, "
                   f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, PUT of {mib} MiB, "
                   f"{args.rounds} rounds, one run")
            report("")
            report("| gateway | PUT MiB/s (median) | gateway CPU s per GiB (median) |")
            report("|---|---|---|")
            for name, measured in results.items():
                speed = statistics.median(mib / seconds for seconds, _ in measured)
                cpu = statistics.median(cpu * 1024 / mib for _, cpu in measured)
                report(f"| {name} | {speed:.0f} | {cpu:.2f} |")

            # The deferred design's later work, on the last blob the deferred gateway stored.
            listing = requests.request("PROPFIND", deferred.url + f"/Files/big-{args.rounds - 1}.bin",
                                       auth=deferred.auth, headers={"Depth": "0"}, timeout=60).text
            etag = listing.split("<D:getetag>", 1)[1].split("<", 1)[0].strip('"')
            blobs = LocalBlobStore(settings.blob_root)
            sha256 = next(path.name for path in settings.blob_root.rglob(etag.split("-")[0] + "*"))
            seconds, cpu, size = _deferred_job(blobs, sha256)
            report("")
            report(f"Deferred job afterwards (read the blob back through the blob store, MD5 + SHA-1): "
                   f"{seconds:.2f} s for {size / MIB:.0f} MiB ({size / MIB / seconds:.0f} MiB/s), "
                   f"{cpu:.2f} CPU s")
        finally:
            for server in (shipped, deferred):
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == _DEFERRED:
        _run_deferred_gateway(sys.argv[2:])
    else:
        main()

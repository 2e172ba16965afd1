"""fsck: do the rows and the blobs agree?

Like ``git fsck`` or ``restic check``: the referenced hashes (streamed from
PostgreSQL in hash order) and the blob store (walked in hash order) are merged like
two sorted lists, so memory stays flat however large the vault. Found:

- **missing** — a row names a hash whose blob is not there (the entries are named
  so they can be restored from a backup);
- **damaged** — the blob's size differs from the recorded one (always checked, it
  costs a stat), or with ``verify_hashes`` its SHA-256 differs from its name;
- **orphans** — blobs no row names (normal until the garbage collector's grace
  has passed; not a problem);
- **strays** — files in the store that are not well-placed blobs.

``repair`` moves damaged blobs and strays into the quarantine directory inside the
blob root (never deletes); entries whose content was damaged then show as missing,
to be restored from a backup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mediavault_dav.blobs import BlobStore, StoredBlob, StrayFile
from mediavault_dav.db.database import Database
from mediavault_dav.vault import blob_references

_READ_BLOCK = 1024 * 1024
_LISTED = 100  # problems listed by name in a report; all are counted


@dataclass
class Problem:
    kind: str  # missing | size-mismatch | hash-mismatch | stray
    sha256: str | None
    detail: str
    entries: list[str] = field(default_factory=list)
    quarantined_to: str | None = None


@dataclass
class FsckReport:
    verified_hashes: bool
    referenced: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    missing: int = 0
    damaged: int = 0
    strays: int = 0
    temporary_files: int = 0
    quarantined: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.damaged or self.strays)

    def as_dict(self) -> dict[str, object]:
        data = {key: value for key, value in self.__dict__.items() if key != "problems"}
        data["problems"] = [problem.__dict__ for problem in self.problems]
        data["ok"] = self.ok
        return data


def hash_of(blob: StoredBlob, blobs: BlobStore) -> str:
    digest = hashlib.sha256()
    with blobs.open(blob.sha256) as stream:
        while chunk := stream.read(_READ_BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def check(database: Database, blobs: BlobStore, *, verify_hashes: bool = False, repair: bool = False,
          on_blob: Callable[[int], None] | None = None) -> FsckReport:
    """Compare rows and blobs; ``on_blob(size)`` is called per blob seen (progress)."""
    report = FsckReport(verified_hashes=verify_hashes)
    with database.engine.connect() as connection:
        referenced = blob_references.stream_referenced(connection)
        stored = _blobs_and_strays(blobs, report, repair)
        for sha, sizes, blob in _merge(referenced, stored):
            if blob is not None:
                report.blobs += 1
                report.blob_bytes += blob.size
                if on_blob is not None:
                    on_blob(blob.size)
            if sizes is None:
                assert blob is not None
                report.orphans += 1
                report.orphan_bytes += blob.size
                continue
            report.referenced += 1
            if blob is None:
                report.missing += 1
                _add(report, Problem("missing", sha, "a row names this content but its blob is missing"))
                continue
            problem = _damage(blob, sizes, blobs, verify_hashes)
            if problem is None:
                continue
            report.damaged += 1
            if repair:
                problem.quarantined_to = str(blobs.quarantine(blob.path, problem.kind))
                report.quarantined += 1
            _add(report, problem)
    report.temporary_files = sum(1 for _ in blobs.incoming())
    _name_entries(database, report)
    return report


def _damage(blob: StoredBlob, sizes: tuple[int, int], blobs: BlobStore, verify_hashes: bool) -> Problem | None:
    low, high = sizes
    if not low == high == blob.size:
        return Problem("size-mismatch", blob.sha256,
                       f"the blob has {blob.size} bytes, the rows record {low if low == high else f'{low}-{high}'}")
    if verify_hashes:
        actual = hash_of(blob, blobs)
        if actual != blob.sha256:
            return Problem("hash-mismatch", blob.sha256, f"the blob's content hashes to {actual}")
    return None


def _blobs_and_strays(blobs: BlobStore, report: FsckReport, repair: bool) -> Iterator[StoredBlob]:
    for item in blobs.blobs():
        if isinstance(item, StrayFile):
            report.strays += 1
            problem = Problem("stray", None, f"{item.path} is not a well-placed blob")
            if repair:
                problem.quarantined_to = str(blobs.quarantine(item.path, "stray"))
                report.quarantined += 1
            _add(report, problem)
            continue
        yield item


def _merge(referenced: Iterator[tuple[str, int, int]], stored: Iterator[StoredBlob]
           ) -> Iterator[tuple[str, tuple[int, int] | None, StoredBlob | None]]:
    """Merge two hash-ordered streams: (hash, recorded sizes or None, blob or None)."""
    row = next(referenced, None)
    blob = next(stored, None)
    while row is not None or blob is not None:
        if blob is None or (row is not None and row[0] < blob.sha256):
            assert row is not None
            yield row[0], (row[1], row[2]), None
            row = next(referenced, None)
        elif row is None or blob.sha256 < row[0]:
            yield blob.sha256, None, blob
            blob = next(stored, None)
        else:
            yield row[0], (row[1], row[2]), blob
            row, blob = next(referenced, None), next(stored, None)


def _add(report: FsckReport, problem: Problem) -> None:
    if len(report.problems) < _LISTED:
        report.problems.append(problem)


def _name_entries(database: Database, report: FsckReport) -> None:
    """Say which entries a missing or damaged content belongs to."""
    with database.reading() as session:
        for problem in report.problems:
            if problem.sha256 is not None:
                problem.entries = blob_references.entries_naming(session, problem.sha256)

"""Sizes as people write them: ``4096``, ``10 MB``, ``1.5 GiB``.

One reading for every place that takes a size (smart-folder rules, quotas, upload
limits), so ``1 GB`` means the same thousand million bytes everywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal

from mediavault_dav.vault.errors import InvalidInput

UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
         "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
EXAMPLE = 'bytes as a number or text such as "10 MB" or "1.5 GiB"'


def parse_size(value: str | int) -> int:
    """Bytes; InvalidInput (naming the units) for anything else."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    found = _SIZE.match(value) if isinstance(value, str) else None
    if found is None or found.group(2).lower() not in UNITS:
        raise InvalidInput(f"expected {EXAMPLE} (units: {', '.join(unit for unit in UNITS if unit)})")
    return int(Decimal(found.group(1)) * UNITS[found.group(2).lower()])


def describe(size: int) -> str:
    """``1.5 GiB``: for messages and listings."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"

"""Progress bars on a terminal (tqdm), silence elsewhere: logs and pipes get a summary."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm


@contextmanager
def byte_progress(description: str, total: int | None = None, *, enabled: bool | None = None,
                  **postfix: Any) -> Iterator[tqdm]:
    """Bytes, rate and ETA; ``enabled=None`` shows it only when stderr is a terminal."""
    show = sys.stderr.isatty() if enabled is None else enabled
    with tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
              disable=not show, file=sys.stderr, dynamic_ncols=True, postfix=postfix or None) as bar:
        yield bar

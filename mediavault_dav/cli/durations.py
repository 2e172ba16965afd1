"""Durations on the command line: ``90s``, ``30m``, ``24h``, ``7d`` (a bare number is seconds)."""

from __future__ import annotations

import re
from typing import Any

import click

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        match = _DURATION.match(str(value).lower())
        if match is None:
            self.fail(f"{value!r} is not a duration (examples: 90s, 30m, 24h, 7d)", param, ctx)
        return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def describe(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"

"""The smart-folder rule language: JSON rules, validated, compiled to one SQL condition.

A rule set is one JSON object: a *condition* on one field, or a combinator over
other rule sets.

    {"all": [{"extension": ["jpg", "png"]},
             {"tags": {"any": ["beach", "sea"], "none": ["private"]}},
             {"modified": {"within": "30d"}},
             {"not": {"folder": "/Archive"}}]}

Combinators: ``all`` (a non-empty list: every one matches), ``any`` (a non-empty
list: at least one matches), ``not`` (one rule set: it does not match). Fields, and
what each takes, are in ``FIELDS`` below and in docs/virtual-folders.md.

Validation says exactly where a rule is wrong (``rules.all[2].size.min: ...``) and
lists what is valid there. Compilation produces SQL over ``files e`` and
``media_files m`` in which every value is a bound parameter: the SQL text comes only
from this module's fixed fragments, chosen by whitelisted field names; nothing a
user typed ever becomes SQL. A leaf whose value is unknown for a file (a text file
has no width) does not match, and ``not`` of it does: ``not`` is the complement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from mediavault_dav.vault import sizes
from mediavault_dav.vault.errors import InvalidInput
from mediavault_dav.vault.names import check_name, name_key, split_path

COMBINATORS = ("all", "any", "not")
MAX_DEPTH = 12
MAX_CONDITIONS = 200
MAX_LIST = 100
MAX_TEXT = 255

_PERIOD_UNITS = {"m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
                 "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_PERIOD = re.compile(r"^\s*(\d+)\s*([a-zA-Z]+)\s*$")
_DURATION = re.compile(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


class InvalidRule(InvalidInput):
    """A rule set that cannot be used; the message names the place and what is valid."""


@dataclass(frozen=True)
class CompiledRule:
    """An SQL condition over ``files e`` / ``media_files m`` (and ``:user``), with its values."""

    condition: str
    params: dict[str, Any]
    categories: tuple[str, ...] = ()  # category names used, checked against the database


@dataclass
class _Compiler:
    params: dict[str, Any] = field(default_factory=dict)
    conditions: int = 0
    categories: list[str] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        name = f"rule_{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def alias(self) -> str:
        return f"s{len(self.params)}_{self.conditions}"


def compile_rules(rules: Any) -> CompiledRule:
    """Validate a rule set and compile it; InvalidRule says what is wrong and where."""
    if not isinstance(rules, dict):
        raise InvalidRule(f"rules: a rule set is a JSON object; {_valid_keys()}")
    compiler = _Compiler()
    condition = _rule(compiler, rules, "rules", 0)
    return CompiledRule(condition, compiler.params, tuple(compiler.categories))


def _valid_keys() -> str:
    return f"valid fields: {', '.join(FIELDS)}; combinators: {', '.join(COMBINATORS)}"


def _rule(compiler: _Compiler, rule: Any, where: str, depth: int) -> str:
    if depth > MAX_DEPTH:
        raise InvalidRule(f"{where}: rules may nest at most {MAX_DEPTH} levels deep")
    if not isinstance(rule, dict):
        raise InvalidRule(f"{where}: expected an object such as {{\"extension\": \"jpg\"}}; {_valid_keys()}")
    if len(rule) != 1:
        found = ", ".join(repr(key) for key in rule) or "nothing"
        raise InvalidRule(f"{where}: an object holds exactly one field or combinator, found {found} "
                          f"(combine several with {{\"all\": [...]}}); {_valid_keys()}")
    (key, value), = rule.items()
    compiler.conditions += 1
    if compiler.conditions > MAX_CONDITIONS:
        raise InvalidRule(f"{where}: a rule set may have at most {MAX_CONDITIONS} conditions")
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise InvalidRule(f"{where}.{key}: expected a non-empty list of rule sets")
        if len(value) > MAX_LIST:
            raise InvalidRule(f"{where}.{key}: at most {MAX_LIST} rule sets")
        joiner = " AND " if key == "all" else " OR "
        return "(" + joiner.join(_rule(compiler, item, f"{where}.{key}[{index}]", depth + 1)
                                 for index, item in enumerate(value)) + ")"
    if key == "not":
        return f"(NOT {_rule(compiler, value, f'{where}.not', depth + 1)})"
    compile_field = FIELDS.get(key)
    if compile_field is None:
        raise InvalidRule(f"{where}: unknown field {key!r}; {_valid_keys()}")
    # A leaf is true or false, never unknown, so that "not" is the complement.
    return f"COALESCE(({compile_field(compiler, value, f'{where}.{key}')}), false)"


# --- values ------------------------------------------------------------------------


def _texts(value: Any, where: str, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_LIST:
        raise InvalidRule(f"{where}: expected {what} or a list of 1 to {MAX_LIST} of them")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item or len(item) > MAX_TEXT:
            place = where if not isinstance(value, list) else f"{where}[{index}]"
            raise InvalidRule(f"{place}: expected {what} (1 to {MAX_TEXT} characters)")
    return items


def _object(value: Any, where: str, allowed: tuple[str, ...], example: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise InvalidRule(f"{where}: expected an object such as {example}; valid keys: {', '.join(allowed)}")
    for key in value:
        if key not in allowed:
            raise InvalidRule(f"{where}: unknown key {key!r}; valid keys: {', '.join(allowed)}")
    return value


def _range(compiler: _Compiler, value: Any, where: str, column: str,
           parse: Callable[[Any, str], int | Decimal], example: str) -> str:
    bounds = _object(value, where, ("min", "max"), example)
    low = parse(bounds["min"], f"{where}.min") if "min" in bounds else None
    high = parse(bounds["max"], f"{where}.max") if "max" in bounds else None
    if low is not None and high is not None and low > high:
        raise InvalidRule(f"{where}: min is larger than max")
    parts = []
    if low is not None:
        parts.append(f"{column} >= {compiler.bind(low)}")
    if high is not None:
        parts.append(f"{column} <= {compiler.bind(high)}")
    return " AND ".join(parts)


def _whole_number(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRule(f"{where}: expected a whole number of 0 or more")
    return value


def _size(value: Any, where: str) -> int:
    try:
        return sizes.parse_size(value)
    except InvalidInput as error:
        raise InvalidRule(f"{where}: {error}") from None


def _seconds(value: Any, where: str) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return Decimal(str(value))
    found = _DURATION.match(value) if isinstance(value, str) and value.strip() else None
    if found is None or not any(found.groups()):
        raise InvalidRule(f"{where}: expected seconds as a number or text such as \"90s\", \"3m\" or \"1h30m\"")
    hours, minutes, seconds = found.groups()
    return Decimal(hours or 0) * 3600 + Decimal(minutes or 0) * 60 + Decimal(seconds or 0)


def _period(value: Any, where: str) -> timedelta:
    found = _PERIOD.match(value) if isinstance(value, str) else None
    if found is None or found.group(2).lower() not in _PERIOD_UNITS:
        raise InvalidRule(f"{where}: expected a period such as \"90m\", \"12h\", \"30d\" or \"2w\"")
    return timedelta(seconds=int(found.group(1)) * _PERIOD_UNITS[found.group(2).lower()])


def _moment(value: Any, where: str, *, end_of_day: bool) -> datetime:
    if isinstance(value, str):
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                return start + timedelta(days=1) if end_of_day else start
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    raise InvalidRule(f"{where}: expected a date \"2024-12-31\" or a time \"2024-12-31T18:00:00Z\"")


# --- fields ------------------------------------------------------------------------


def _like(glob: str) -> str:
    escaped = name_key(glob).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _name(compiler: _Compiler, value: Any, where: str) -> str:
    patterns = [_like(glob) for glob in _texts(value, where, "a name pattern such as \"IMG_*.jpg\"")]
    return f"lower(e.name_key) LIKE ANY(CAST({compiler.bind(patterns)} AS text[]))"


def _extension(compiler: _Compiler, value: Any, where: str) -> str:
    extensions = [item.lower().lstrip(".") for item in _texts(value, where, "an extension such as \"jpg\"")]
    return f"lower(substring(e.name_key from '\\.([^.]+)$')) = ANY(CAST({compiler.bind(extensions)} AS text[]))"


def _mime(compiler: _Compiler, value: Any, where: str) -> str:
    exact: list[str] = []
    prefixes: list[str] = []
    for item in _texts(value, where, "a content type such as \"image/png\" or \"image/*\""):
        item = item.strip().lower()
        if item.count("/") != 1 or item.startswith("/"):
            raise InvalidRule(f"{where}: {item!r} is not a content type such as \"image/png\" or \"image/*\"")
        if item.endswith("/*") or item.endswith("/"):
            prefixes.append(item.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        else:
            exact.append(item)
    return (f"(m.mime_type = ANY(CAST({compiler.bind(exact)} AS text[])) "
            f"OR m.mime_type LIKE ANY(CAST({compiler.bind(prefixes)} AS text[])))")


def _category(compiler: _Compiler, value: Any, where: str) -> str:
    names = _texts(value, where, "a category name such as \"Images\"")
    compiler.categories.extend(names)
    keys = [name_key(name).lower() for name in names]
    return (f"m.category_id IN (SELECT id FROM categories "
            f"WHERE lower(normalize(name, NFC)) = ANY(CAST({compiler.bind(keys)} AS text[])))")


def _tag_keys(value: Any, where: str) -> list[str]:
    names = _texts(value, where, "a tag name")
    for name in names:
        try:
            check_name(name)
        except InvalidInput as error:
            raise InvalidRule(f"{where}: {error}") from None
    return sorted({name_key(name) for name in names})


def _tags(compiler: _Compiler, value: Any, where: str) -> str:
    if not isinstance(value, dict):
        value = {"all": value}
    spec = _object(value, where, ("all", "any", "none"), '{"any": ["beach", "sea"]}')
    parts = []
    for key, names in spec.items():
        keys = _tag_keys(names, f"{where}.{key}")
        alias = compiler.alias()
        tagged = (f"SELECT count(*) FROM file_tags ft_{alias} "
                  f"JOIN tags t_{alias} ON t_{alias}.id = ft_{alias}.tag_id WHERE ft_{alias}.file_id = e.id "
                  f"AND t_{alias}.name_key = ANY(CAST({compiler.bind(keys)} AS text[]))")
        if key == "all":
            parts.append(f"({tagged}) = {compiler.bind(len(keys))}")
        elif key == "any":
            parts.append(f"({tagged}) > 0")
        else:
            parts.append(f"({tagged}) = 0")
    return " AND ".join(parts)


def _size_field(compiler: _Compiler, value: Any, where: str) -> str:
    return _range(compiler, value, where, "e.size_bytes", _size, '{"min": "1 MB", "max": "2 GB"}')


def _dimension(column: str) -> Callable[[_Compiler, Any, str], str]:
    def compile_dimension(compiler: _Compiler, value: Any, where: str) -> str:
        return _range(compiler, value, where, column, _whole_number, '{"min": 1920}')
    return compile_dimension


def _duration(compiler: _Compiler, value: Any, where: str) -> str:
    return _range(compiler, value, where, "m.duration_seconds", _seconds, '{"min": "2m", "max": "10m"}')


def _time(column: str) -> Callable[[_Compiler, Any, str], str]:
    def compile_time(compiler: _Compiler, value: Any, where: str) -> str:
        spec = _object(value, where, ("within", "from", "to"), '{"within": "30d"} or {"from": "2024-01-01"}')
        parts = []
        if "within" in spec:
            if len(spec) > 1:
                raise InvalidRule(f"{where}: use either within or from/to, not both")
            parts.append(f"{column} >= now() - {compiler.bind(_period(spec['within'], f'{where}.within'))}")
        if "from" in spec:
            parts.append(f"{column} >= {compiler.bind(_moment(spec['from'], f'{where}.from', end_of_day=False))}")
        if "to" in spec:
            end = _moment(spec["to"], f"{where}.to", end_of_day=True)
            operator = "<" if isinstance(spec["to"], str) and len(spec["to"]) == 10 else "<="
            parts.append(f"{column} {operator} {compiler.bind(end)}")
        return " AND ".join(parts)
    return compile_time


def _folder(compiler: _Compiler, value: Any, where: str) -> str:
    if isinstance(value, str):
        value = {"under": value}
    spec = _object(value, where, ("under", "in"), '"/Photos/2024" or {"in": "/Photos"}')
    if len(spec) != 1:
        raise InvalidRule(f"{where}: use either under (the folder and everything below it) or in (that folder only)")
    (mode, path), = spec.items()
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidRule(f"{where}.{mode}: expected a folder path below /Files/ such as \"/Photos/2024\"")
    try:
        segments = split_path(path)
    except InvalidInput as error:
        raise InvalidRule(f"{where}.{mode}: {error}") from None
    alias = compiler.alias()
    depth = compiler.bind(len(segments))
    below = (f", below_{alias}(id) AS (SELECT id FROM walk_{alias} WHERE depth = {depth} "
             f"UNION ALL SELECT f.id FROM folders f JOIN below_{alias} b ON f.parent_id = b.id) "
             f"SELECT id FROM below_{alias}") if mode == "under" else \
        f" SELECT id FROM walk_{alias} WHERE depth = {depth}"
    return (f"e.folder_id IN (WITH RECURSIVE walk_{alias}(depth, id) AS ("
            f"SELECT 0, id FROM folders WHERE user_id = :user AND parent_id IS NULL "
            f"UNION ALL SELECT w.depth + 1, f.id FROM walk_{alias} w JOIN folders f ON f.parent_id = w.id "
            f"AND f.user_id = :user "
            f"AND f.name_key = normalize((CAST({compiler.bind(segments)} AS text[]))[w.depth + 1], NFC) "
            f"WHERE w.depth < {depth}){below})")


def _album(compiler: _Compiler, value: Any, where: str) -> str:
    keys = [name_key(name) for name in _texts(value, where, "an album name")]
    alias = compiler.alias()
    return (f"EXISTS (SELECT 1 FROM album_files af_{alias} JOIN albums a_{alias} ON a_{alias}.id = af_{alias}.album_id "
            f"WHERE af_{alias}.file_id = e.id AND a_{alias}.name_key = ANY(CAST({compiler.bind(keys)} AS text[])))")


FIELDS: dict[str, Callable[[_Compiler, Any, str], str]] = {
    "name": _name,
    "extension": _extension,
    "mime": _mime,
    "category": _category,
    "tags": _tags,
    "size": _size_field,
    "created": _time("e.created_at"),
    "modified": _time("e.modified_at"),
    "folder": _folder,
    "album": _album,
    "width": _dimension("m.width"),
    "height": _dimension("m.height"),
    "duration": _duration,
}

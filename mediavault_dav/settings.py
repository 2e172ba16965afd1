"""Settings: declared once, read from an optional TOML file, overridden by the environment.

The seed document fixes the database variables and their recommended production
values; the gateway adds its own under the ``MEDIAVAULT_`` prefix. Every setting is
declared in ``FIELDS`` with its environment name, its place in the TOML file, its
default and what it expects, so a bad value is reported in one line that names the
variable, says what it expects, and never echoes a secret.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

CONFIG_ENV = "MEDIAVAULT_CONFIG"
SESSION_SECRET_FILE = "session_secret"
MIN_SECRET_LENGTH = 32
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line, safe to print."""


@dataclass(frozen=True)
class Settings:
    # Database: an explicit URL means an external PostgreSQL; None means embedded.
    database_url: str | None = dataclasses.field(default=None, repr=False)  # may hold a password
    pool_max: int = 20
    pool_idle_timeout_ms: int = 30_000
    pool_connection_timeout_ms: int = 2_000
    statement_timeout_ms: int = 30_000
    db_sslmode: str | None = None
    db_sslrootcert: Path | None = None
    pg_bin_dir: Path | None = None  # pg_dump/pg_restore for backups of an external database
    # Sessions (the seed's connect-pg-simple settings).
    session_secret: str | None = dataclasses.field(default=None, repr=False)
    session_ttl_ms: int = 86_400_000
    secure_cookies: bool = True
    # The gateway's own.
    data_dir: Path = dataclasses.field(
        default_factory=lambda: platformdirs.user_data_path("mediavault-dav")
    )
    blob_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    tls_cert: Path | None = None
    tls_key: Path | None = None
    threads: int | None = None  # None: one worker per pooled connection
    trusted_proxies: tuple[str, ...] = ()
    propfind_infinity: bool = False  # RFC 4918 lets servers refuse Depth: infinity
    verify_on_read: bool = False  # hash every full GET (about 0.8 s of CPU per GiB)
    housekeeping_interval_s: int = 900  # expired sessions and locks removed this often; 0: never
    public_url: str | None = None  # where guests reach the gateway (share links); None: from host/port

    @property
    def share_base_url(self) -> str:
        """The address share links are printed with: ``public_url``, else this server's own."""
        if self.public_url is not None:
            return self.public_url
        scheme = "https" if self.tls_enabled else "http"
        host = socket.getfqdn() if self.host in ("0.0.0.0", "::", "") else self.host
        shown = f"[{host}]" if ":" in host else host
        default_port = 443 if self.tls_enabled else 80
        return f"{scheme}://{shown}" + ("" if self.port == default_port else f":{self.port}")

    @property
    def embedded(self) -> bool:
        """True when the gateway runs its own private PostgreSQL."""
        return self.database_url is None

    @property
    def blob_root(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def worker_threads(self) -> int:
        return self.threads if self.threads is not None else self.pool_max

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert is not None


# --- value parsers: each raises ValueError; the loader adds the variable's name ---


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError
        value = raw if isinstance(raw, int) else int(str(raw).strip())
        if not low <= value <= high:
            raise ValueError
        return value

    return parse


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError
    return raw.strip()


def _path(raw: Any) -> Path:
    return Path(_text(raw)).expanduser()


def _existing_file(raw: Any) -> Path:
    path = _path(raw)
    if not path.is_file():
        raise ValueError
    return path


def _existing_directory(raw: Any) -> Path:
    path = _path(raw)
    if not path.is_dir():
        raise ValueError
    return path


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = _text(raw).lower()
        if value not in allowed:
            raise ValueError
        return value

    return parse


def _secret(raw: Any) -> str:
    value = _text(raw)
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError
    return value


def _public_url(raw: Any) -> str:
    url = urlsplit(_text(raw))
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment or url.username:
        raise ValueError
    url.port  # noqa: B018 - raises ValueError for a malformed port
    return urlunsplit((url.scheme, url.netloc, url.path.rstrip("/"), "", ""))


def _address_list(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    networks = []
    for item in items:
        item = str(item).strip()
        if item:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
    return tuple(networks)


@dataclass(frozen=True)
class Field:
    """One setting: where it comes from, how it is parsed, what it expects."""

    key: str  # an attribute of Settings, or a raw database part folded into the URL
    env: str
    toml: str  # "section.key"
    parse: Callable[[Any], Any]
    expects: str
    secret: bool = False


FIELDS: tuple[Field, ...] = (
    Field("database_url", "DATABASE_URL", "database.url", _text,
          "a postgresql:// URL", secret=True),
    Field("db_type", "DB_TYPE", "database.type", _choice("postgresql"),
          "'postgresql' (the only database the gateway supports)"),
    Field("db_host", "DB_HOST", "database.host", _text, "a host name or socket directory"),
    Field("db_port", "DB_PORT", "database.port", _whole_number(1, 65535),
          "a TCP port from 1 to 65535"),
    Field("db_name", "DB_NAME", "database.name", _text, "a database name"),
    Field("db_user", "DB_USER", "database.user", _text, "a role name"),
    Field("db_password", "DB_PASSWORD", "database.password", _text,
          "a non-empty password", secret=True),
    Field("pool_max", "DB_POOL_MAX", "database.pool_max", _whole_number(1, 1000),
          "a whole number of connections from 1 to 1000"),
    Field("pool_idle_timeout_ms", "DB_POOL_IDLE_TIMEOUT", "database.pool_idle_timeout_ms",
          _whole_number(1000, 86_400_000),
          "milliseconds, a whole number from 1000 to 86400000"),
    Field("pool_connection_timeout_ms", "DB_POOL_CONNECTION_TIMEOUT",
          "database.pool_connection_timeout_ms", _whole_number(1000, 600_000),
          "milliseconds, a whole number from 1000 to 600000"),
    Field("statement_timeout_ms", "DB_STATEMENT_TIMEOUT", "database.statement_timeout_ms",
          _whole_number(100, 86_400_000), "milliseconds, a whole number from 100 to 86400000"),
    Field("db_sslmode", "DB_SSLMODE", "database.sslmode", _choice(*SSL_MODES),
          "one of " + ", ".join(SSL_MODES)),
    Field("db_sslrootcert", "DB_SSLROOTCERT", "database.sslrootcert", _existing_file,
          "the path of an existing CA certificate file"),
    Field("pg_bin_dir", "MEDIAVAULT_PG_BIN_DIR", "database.pg_bin_dir", _existing_directory,
          "an existing directory holding pg_dump and pg_restore"),
    Field("session_secret", "SESSION_SECRET", "session.secret", _secret,
          f"a random string of at least {MIN_SECRET_LENGTH} characters", secret=True),
    Field("session_ttl_ms", "SESSION_TTL", "session.ttl_ms", _whole_number(60_000, 31_536_000_000),
          "milliseconds, a whole number from 60000 to 31536000000"),
    Field("secure_cookies", "SECURE_COOKIES", "session.secure_cookies", _boolean,
          "true or false"),
    Field("data_dir", "MEDIAVAULT_DATA_DIR", "server.data_dir", _path, "a directory path"),
    Field("blob_dir", "MEDIAVAULT_BLOB_DIR", "server.blob_dir", _path, "a directory path"),
    Field("host", "MEDIAVAULT_HOST", "server.host", _text, "an address to listen on"),
    Field("port", "MEDIAVAULT_PORT", "server.port", _whole_number(0, 65535),
          "a TCP port from 0 to 65535"),
    Field("tls_cert", "MEDIAVAULT_TLS_CERT", "server.tls_cert", _existing_file,
          "the path of an existing PEM certificate file"),
    Field("tls_key", "MEDIAVAULT_TLS_KEY", "server.tls_key", _existing_file,
          "the path of an existing PEM private key file"),
    Field("threads", "MEDIAVAULT_THREADS", "server.threads", _whole_number(1, 1000),
          "a whole number of worker threads from 1 to 1000"),
    Field("trusted_proxies", "MEDIAVAULT_TRUSTED_PROXIES", "server.trusted_proxies",
          _address_list, "a comma-separated list of IP addresses or networks"),
    Field("propfind_infinity", "MEDIAVAULT_PROPFIND_INFINITY", "server.propfind_infinity",
          _boolean, "true or false"),
    Field("verify_on_read", "MEDIAVAULT_VERIFY_ON_READ", "server.verify_on_read", _boolean,
          "true or false"),
    Field("housekeeping_interval_s", "MEDIAVAULT_HOUSEKEEPING_INTERVAL",
          "server.housekeeping_interval_s", _whole_number(0, 86_400),
          "seconds, a whole number from 0 (never) to 86400"),
    Field("public_url", "MEDIAVAULT_PUBLIC_URL", "server.public_url", _public_url,
          "the http:// or https:// address guests use to reach the gateway, e.g. https://vault.example.com"),
)

_DB_PARTS = ("db_type", "db_host", "db_port", "db_name", "db_user", "db_password")


def load_settings(
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from defaults < TOML file < environment < explicit overrides.

    ``overrides`` are command-line options (already typed), keyed like Settings.
    """
    env = os.environ if environ is None else environ
    if config_file is None and env.get(CONFIG_ENV):
        config_file = Path(env[CONFIG_ENV]).expanduser()
    file_values = _read_toml(config_file) if config_file is not None else {}

    values: dict[str, Any] = {}
    for field in FIELDS:
        section, key = field.toml.split(".")
        if key in file_values.get(section, {}):
            values[field.key] = _parse(field, file_values[section][key],
                                       f"{field.toml} in {config_file}")
        raw = env.get(field.env)
        if raw is not None and raw != "":
            values[field.key] = _parse(field, raw, field.env)
    _reject_unknown_keys(file_values, config_file)

    parts = {name: values.pop(name) for name in _DB_PARTS if name in values}
    if "database_url" in values:
        values["database_url"] = normalise_database_url(values["database_url"])
    elif "db_host" in parts:
        values["database_url"] = _url_from_parts(parts)

    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value

    settings = Settings(**values)
    _check_consistency(settings)
    return settings


def _parse(field: Field, raw: Any, source: str) -> Any:
    try:
        return field.parse(raw)
    except (ValueError, TypeError):
        shown = "" if field.secret else f", got {str(raw)[:80]!r}"
        raise ConfigError(f"{source} must be {field.expects}{shown}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"configuration file {path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"configuration file {path} cannot be read: {error.strerror}") from None
    return data


def _reject_unknown_keys(file_values: Mapping[str, Any], path: Path | None) -> None:
    known: dict[str, set[str]] = {}
    for field in FIELDS:
        section, key = field.toml.split(".")
        known.setdefault(section, set()).add(key)
    for section, table in file_values.items():
        if section not in known or not isinstance(table, dict):
            raise ConfigError(
                f"[{section}] in {path} is not a known section "
                f"(expected one of: {', '.join(sorted(known))})"
            )
        for key in table:
            if key not in known[section]:
                raise ConfigError(
                    f"{section}.{key} in {path} is not a known setting "
                    f"(expected one of: {', '.join(sorted(known[section]))})"
                )


def normalise_database_url(raw: str) -> str:
    """Accept the seed's ``postgresql://`` form and point it at psycopg 3."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError("DATABASE_URL must be a postgresql:// URL (it could not be parsed)") from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ConfigError("DATABASE_URL must be a postgresql:// URL")
    if url.get_driver_name() not in ("psycopg", "psycopg2", "") and "+" in url.drivername:
        raise ConfigError("DATABASE_URL must use the psycopg driver (postgresql:// or postgresql+psycopg://)")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _url_from_parts(parts: Mapping[str, Any]) -> str:
    url = URL.create(
        "postgresql+psycopg",
        username=parts.get("db_user", "mediavault_user"),
        password=parts.get("db_password"),
        host=parts["db_host"],
        port=parts.get("db_port", 5432),
        database=parts.get("db_name", "mediavault"),
    )
    return url.render_as_string(hide_password=False)


def _check_consistency(settings: Settings) -> None:
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise ConfigError("MEDIAVAULT_TLS_CERT and MEDIAVAULT_TLS_KEY must be set together")


def with_session_secret(settings: Settings) -> Settings:
    """Return settings that carry a session secret, or fail clearly.

    On the embedded default a random secret is generated once and kept in the data
    directory (0600), so sessions survive restarts. With an external database the
    operator must set one: several gateways must share it, and a generated one would
    silently differ between them.
    """
    if settings.session_secret is not None:
        return settings
    if not settings.embedded:
        raise ConfigError(
            "SESSION_SECRET must be set when DATABASE_URL points at an external database "
            f"(a random string of at least {MIN_SECRET_LENGTH} characters)"
        )
    return dataclasses.replace(settings, session_secret=_stored_secret(settings.data_dir))


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / SESSION_SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"{path} is damaged: delete it to generate a new session secret") from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return secret

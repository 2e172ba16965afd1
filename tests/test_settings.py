"""Settings: the seed's variables and defaults, the TOML file, and clear errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mediavault_dav.settings import ConfigError, Settings, load_settings, with_session_secret

REPO = Path(__file__).resolve().parents[1]


def test_defaults_are_the_seeds_recommended_production_settings() -> None:
    settings = load_settings(environ={})
    assert settings.pool_max == 20
    assert settings.pool_idle_timeout_ms == 30_000
    assert settings.pool_connection_timeout_ms == 2_000
    assert settings.statement_timeout_ms == 30_000
    assert settings.session_ttl_ms == 86_400_000
    assert settings.secure_cookies is True
    assert settings.embedded is True
    assert settings.worker_threads == 20


def test_seed_variables_are_read_from_the_environment() -> None:
    settings = load_settings(environ={
        "DB_POOL_MAX": "35", "DB_POOL_IDLE_TIMEOUT": "10000", "DB_POOL_CONNECTION_TIMEOUT": "5000",
        "SESSION_TTL": "3600000", "SECURE_COOKIES": "false", "SESSION_SECRET": "s" * 40,
        "MEDIAVAULT_PORT": "9000", "MEDIAVAULT_HOST": "0.0.0.0",
    })
    pool = (settings.pool_max, settings.pool_idle_timeout_ms, settings.pool_connection_timeout_ms)
    assert pool == (35, 10_000, 5_000)
    assert (settings.session_ttl_ms, settings.secure_cookies) == (3_600_000, False)
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)


def test_database_parts_build_an_external_url_with_the_password_escaped() -> None:
    settings = load_settings(environ={
        "DB_HOST": "db.internal", "DB_PORT": "6543", "DB_NAME": "vault", "DB_USER": "mv",
        "DB_PASSWORD": "p@ss:w/rd",
    })
    assert settings.embedded is False
    assert settings.database_url == "postgresql+psycopg://mv:p%40ss%3Aw%2Frd@db.internal:6543/vault"


def test_database_url_wins_over_parts_and_is_pointed_at_psycopg() -> None:
    settings = load_settings(environ={
        "DATABASE_URL": "postgresql://u:pw@h:5432/d", "DB_HOST": "elsewhere",
    })
    assert settings.database_url == "postgresql+psycopg://u:pw@h:5432/d"


def test_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "mv.toml"
    config.write_text('[database]\npool_max = 40\n[server]\nport = 9100\n', encoding="utf-8")
    settings = load_settings(environ={"DB_POOL_MAX": "30"}, config_file=config)
    assert settings.pool_max == 30  # environment
    assert settings.port == 9100  # file


def test_the_example_config_file_is_valid_and_complete() -> None:
    example = REPO / "config" / "mediavault.example.toml"
    settings = load_settings(environ={}, config_file=example)
    assert settings.pool_max == 20 and settings.port == 8080


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DB_POOL_MAX", "abc", "DB_POOL_MAX must be a whole number of connections from 1 to 1000, got 'abc'"),
        ("DB_POOL_MAX", "0", "DB_POOL_MAX must be"),
        ("DB_POOL_IDLE_TIMEOUT", "-5", "DB_POOL_IDLE_TIMEOUT must be milliseconds"),
        ("SECURE_COOKIES", "maybe", "SECURE_COOKIES must be true or false, got 'maybe'"),
        ("MEDIAVAULT_PORT", "70000", "MEDIAVAULT_PORT must be a TCP port"),
        ("DB_TYPE", "mysql", "DB_TYPE must be 'postgresql'"),
        ("DB_SSLMODE", "sometimes", "DB_SSLMODE must be one of disable"),
        ("MEDIAVAULT_TLS_CERT", "/no/such/cert.pem", "MEDIAVAULT_TLS_CERT must be the path of an existing"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_expects(variable: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={variable: value})
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SESSION_SECRET", "too-short-secret"), ("DATABASE_URL", "mysql://root:hunter2-secret@db/x")],
)
def test_a_bad_secret_is_never_echoed(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={variable: value})
    assert variable in str(raised.value)
    assert value not in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_an_unknown_key_in_the_file_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    config = tmp_path / "mv.toml"
    config.write_text("[database]\npool_size = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"database.pool_size .* is not a known setting .*pool_max"):
        load_settings(environ={}, config_file=config)


def test_a_broken_toml_file_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "mv.toml"
    config.write_text("[database\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(environ={}, config_file=config)


def test_tls_needs_both_certificate_and_key(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x", encoding="ascii")
    with pytest.raises(ConfigError, match="MEDIAVAULT_TLS_CERT and MEDIAVAULT_TLS_KEY must be set together"):
        load_settings(environ={"MEDIAVAULT_TLS_CERT": str(cert)})


def test_embedded_default_generates_a_private_session_secret_once(tmp_path: Path) -> None:
    first = with_session_secret(Settings(data_dir=tmp_path))
    second = with_session_secret(Settings(data_dir=tmp_path))
    assert first.session_secret is not None and len(first.session_secret) >= 32
    assert first.session_secret == second.session_secret
    mode = stat.S_IMODE((tmp_path / "session_secret").stat().st_mode)
    assert mode == 0o600


def test_external_database_without_session_secret_is_a_startup_error(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://u@h/d", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="SESSION_SECRET must be set"):
        with_session_secret(settings)
    assert not (tmp_path / "session_secret").exists()


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    settings = load_settings(environ={"SESSION_SECRET": "topsecret-" * 5,
                                      "DB_HOST": "h", "DB_PASSWORD": "dbpassword-secret"})
    assert "topsecret" not in repr(settings)
    assert "dbpassword-secret" not in repr(settings)


def test_the_public_url_for_share_links() -> None:
    assert load_settings(environ={"MEDIAVAULT_PUBLIC_URL": "https://vault.example.com/dav/"}).share_base_url == \
        "https://vault.example.com/dav"
    assert load_settings(environ={"MEDIAVAULT_PORT": "9000"}).share_base_url == "http://127.0.0.1:9000"
    for bad in ("vault.example.com", "ftp://vault.example.com", "https://vault.example.com/?x=1",
                "https://user@vault.example.com", "https://vault.example.com:port"):
        with pytest.raises(ConfigError, match="MEDIAVAULT_PUBLIC_URL must be the http:// or https:// address"):
            load_settings(environ={"MEDIAVAULT_PUBLIC_URL": bad})

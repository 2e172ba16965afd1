"""The schema: the seed's tables, index names and constraints, through Alembic."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from mediavault_dav.db import schema
from mediavault_dav.db.errors import SchemaOutOfDate
from mediavault_dav.db.models import GATEWAY_TABLES, SEED_INDEXES, SEED_TABLES, Base

SHA_A = "a" * 64
SHA_B = "b" * 64


def _tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())


def _indexes(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text(
            "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")).all())


@pytest.fixture
def engine(database_url: str):
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(empty_database_url: str):
    engine = sa.create_engine(empty_database_url)
    yield engine
    engine.dispose()


def test_all_nineteen_seed_tables_and_the_gateway_tables_exist(engine: sa.Engine) -> None:
    assert len(SEED_TABLES) == 19
    assert set(SEED_TABLES) | set(GATEWAY_TABLES) <= _tables(engine)


def test_every_seed_index_name_exists_exactly_on_its_table(engine: sa.Engine) -> None:
    indexes = _indexes(engine)
    for name, table in SEED_INDEXES.items():
        assert indexes.get(name) == table, name
    # The mixed-case name is kept exactly, as connect-pg-simple creates it.
    assert "IDX_session_expire" in indexes and "idx_session_expire" not in indexes


def test_sessions_table_is_exactly_the_seeds(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        columns = connection.execute(sa.text(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'sessions' ORDER BY ordinal_position")).all()
        primary_key = connection.execute(sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'sessions'::regclass AND contype = 'p'")).one()
        index = connection.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'IDX_session_expire'")).scalar_one()
    assert columns == [
        ("sid", "character varying", "NO"),
        ("sess", "jsonb", "NO"),
        ("expire", "timestamp without time zone", "NO"),
    ]
    assert primary_key == ("sessions_pkey", "PRIMARY KEY (sid)")
    assert index.endswith("USING btree (expire)")


def test_models_and_migrations_describe_the_same_schema(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrade_downgrade_upgrade_round_trips(empty_engine: sa.Engine) -> None:
    schema.upgrade(empty_engine)
    assert schema.current_revision(empty_engine) == schema.head_revision()
    assert set(SEED_TABLES) <= _tables(empty_engine)

    schema.downgrade(empty_engine, "base")
    assert schema.current_revision(empty_engine) is None
    assert _tables(empty_engine) == {"alembic_version"}

    schema.upgrade(empty_engine)
    assert set(SEED_TABLES) | set(GATEWAY_TABLES) <= _tables(empty_engine)
    assert set(SEED_INDEXES) <= set(_indexes(empty_engine))


def test_an_unmigrated_database_is_refused_with_the_command_to_run(empty_engine: sa.Engine) -> None:
    with pytest.raises(SchemaOutOfDate, match="run `mediavault-dav db upgrade`"):
        schema.require_current(empty_engine)


# --- constraints -----------------------------------------------------------


def _user(connection: sa.Connection, name: str, email: str | None = None) -> int:
    return connection.execute(sa.text(
        "INSERT INTO users (username, email, password_hash) VALUES (:n, :e, 'x') RETURNING id"),
        {"n": name, "e": email or f"{name}@example.com"}).scalar_one()


def _root(connection: sa.Connection, user_id: int) -> int:
    return connection.execute(sa.text(
        "INSERT INTO folders (user_id, parent_id, name) VALUES (:u, NULL, '') RETURNING id"),
        {"u": user_id}).scalar_one()


def _media(connection: sa.Connection, user_id: int, sha: str = SHA_A) -> int:
    return connection.execute(sa.text(
        "INSERT INTO media_files (uploaded_by, sha256, size_bytes) VALUES (:u, :s, 3) RETURNING id"),
        {"u": user_id, "s": sha}).scalar_one()


def _file(connection: sa.Connection, user_id: int, folder_id: int, media_id: int, name: str,
          sha: str = SHA_A) -> int:
    return connection.execute(sa.text(
        "INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes) "
        "VALUES (:u, :f, :n, :h, :m, 3) RETURNING id"),
        {"u": user_id, "f": folder_id, "n": name, "h": sha, "m": media_id}).scalar_one()


def _refused(engine: sa.Engine, statement: str, params: dict, setup) -> str:
    with engine.connect() as connection:
        ids = setup(connection)
        with pytest.raises(IntegrityError) as raised:
            connection.execute(sa.text(statement), {**params, **ids})
        connection.rollback()
    return str(raised.value.orig.diag.constraint_name)


def test_email_is_unique_whatever_its_case(engine: sa.Engine) -> None:
    constraint = _refused(
        engine, "INSERT INTO users (username, email, password_hash) VALUES ('b', 'ANN@example.com', 'x')",
        {}, lambda c: {"a": _user(c, "a", "ann@example.com")})
    assert constraint == "uq_users_email"


def test_one_catalogue_row_per_user_and_content(engine: sa.Engine) -> None:
    def setup(connection: sa.Connection) -> dict:
        user = _user(connection, "a")
        _media(connection, user)
        return {"u": user}

    constraint = _refused(
        engine, "INSERT INTO media_files (uploaded_by, sha256, size_bytes) VALUES (:u, :s, 1)",
        {"s": SHA_A}, setup)
    assert constraint == "uq_media_files_uploaded_by_sha256"


def test_two_users_may_hold_the_same_content_and_one_user_two_entries_of_it(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        a, b = _user(connection, "a"), _user(connection, "b")
        media_a, media_b = _media(connection, a), _media(connection, b)
        root = _root(connection, a)
        _file(connection, a, root, media_a, "one.jpg")
        _file(connection, a, root, media_a, "copy of one.jpg")
        count = connection.execute(sa.text("SELECT count(*) FROM files WHERE hash = :h"), {"h": SHA_A}).scalar()
    assert media_a != media_b and count == 2


def test_names_collide_after_unicode_normalisation(engine: sa.Engine) -> None:
    nfc, nfd = "caf\u00e9.jpg", "cafe\u0301.jpg"  # Windows and macOS spellings of one name

    def setup(connection: sa.Connection) -> dict:
        user = _user(connection, "a")
        root = _root(connection, user)
        media = _media(connection, user)
        _file(connection, user, root, media, nfc)
        return {"u": user, "f": root, "m": media}

    constraint = _refused(
        engine, "INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes) "
        "VALUES (:u, :f, :n, :h, :m, 3)", {"n": nfd, "h": SHA_A}, setup)
    assert constraint == "uq_files_user_id_folder_id_name_key"


def test_each_user_has_at_most_one_root_folder(engine: sa.Engine) -> None:
    def setup(connection: sa.Connection) -> dict:
        user = _user(connection, "a")
        _root(connection, user)
        return {"u": user}

    constraint = _refused(
        engine, "INSERT INTO folders (user_id, parent_id, name) VALUES (:u, NULL, '')", {}, setup)
    assert constraint == "uq_folders_user_id_parent_id_name_key"


@pytest.mark.parametrize(("table", "owner_column", "constraint"), [
    ("album_files", "album_id", "uq_album_files_album_id_file_id"),
    ("file_tags", "tag_id", "uq_file_tags_file_id_tag_id"),
])
def test_junction_rows_are_unique(engine: sa.Engine, table: str, owner_column: str, constraint: str) -> None:
    parent_table = "albums" if table == "album_files" else "tags"

    def setup(connection: sa.Connection) -> dict:
        user = _user(connection, "a")
        file_id = _file(connection, user, _root(connection, user), _media(connection, user), "x.jpg")
        parent = connection.execute(sa.text(
            f"INSERT INTO {parent_table} (user_id, name) VALUES (:u, 'p') RETURNING id"), {"u": user}).scalar_one()
        connection.execute(sa.text(f"INSERT INTO {table} ({owner_column}, file_id) VALUES (:p, :f)"),
                           {"p": parent, "f": file_id})
        return {"p": parent, "f": file_id}

    refused = _refused(engine, f"INSERT INTO {table} ({owner_column}, file_id) VALUES (:p, :f)", {}, setup)
    assert refused == constraint


def test_deleting_a_file_removes_memberships_but_not_the_album(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        user = _user(connection, "a")
        file_id = _file(connection, user, _root(connection, user), _media(connection, user), "x.jpg")
        album = connection.execute(sa.text(
            "INSERT INTO albums (user_id, name) VALUES (:u, 'Trip') RETURNING id"), {"u": user}).scalar_one()
        connection.execute(sa.text("INSERT INTO album_files (album_id, file_id) VALUES (:a, :f)"),
                           {"a": album, "f": file_id})
        connection.execute(sa.text("DELETE FROM files WHERE id = :f"), {"f": file_id})
        members = connection.execute(sa.text("SELECT count(*) FROM album_files")).scalar()
        albums = connection.execute(sa.text("SELECT count(*) FROM albums")).scalar()
    assert (members, albums) == (0, 1)


def test_catalogue_row_cannot_vanish_under_an_entry(engine: sa.Engine) -> None:
    def setup(connection: sa.Connection) -> dict:
        user = _user(connection, "a")
        media = _media(connection, user)
        _file(connection, user, _root(connection, user), media, "x.jpg")
        return {"m": media}

    constraint = _refused(engine, "DELETE FROM media_files WHERE id = :m", {}, setup)
    assert constraint == "fk_files_media_file_id_media_files"


def test_deleting_a_user_removes_their_tree_but_keeps_the_audit_trail(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        user = _user(connection, "a")
        _file(connection, user, _root(connection, user), _media(connection, user), "x.jpg")
        connection.execute(sa.text(
            "INSERT INTO activity_logs (user_id, username, action, outcome) VALUES (:u, 'a', 'login', 'ok')"),
            {"u": user})
        connection.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": user})
        remaining = [connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                     for t in ("files", "folders", "media_files")]
        audit = connection.execute(sa.text("SELECT user_id, username FROM activity_logs")).one()
    assert remaining == [0, 0, 0]
    assert audit == (None, "a")


def test_a_grant_names_exactly_one_target(engine: sa.Engine) -> None:
    def setup(connection: sa.Connection) -> dict:
        return {"a": _user(connection, "a"), "b": _user(connection, "b")}

    constraint = _refused(
        engine, "INSERT INTO permissions (owner_id, grantee_id, level) VALUES (:a, :b, 'read')", {}, setup)
    assert constraint == "ck_permissions_exactly_one_target"

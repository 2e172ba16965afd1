"""Initial schema: the seed's 19 tables and the gateway's DAV lock and property tables.

Everything the MediaVault database document lists, with its index names
(idx_media_files_sha256, IDX_session_expire, ...), the sessions table exactly as
connect-pg-simple expects it, and the decisions recorded in docs/data-model.md.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 02:24:33.907249
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('mime_prefixes', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('categories_pkey')),
    sa.UniqueConstraint('name', name=op.f('uq_categories_name'))
    )
    op.create_table('sessions',
    sa.Column('sid', sa.String(), nullable=False),
    sa.Column('sess', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('expire', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sid', name='sessions_pkey')
    )
    op.create_index('IDX_session_expire', 'sessions', ['expire'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('quota_bytes', sa.BigInteger(), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('users_pkey'))
    )
    op.create_index('uq_users_email', 'users', [sa.literal_column('lower(email)')], unique=True)
    op.create_index('uq_users_username', 'users', [sa.literal_column('lower(username)')], unique=True)
    op.create_table('activity_logs',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('username', sa.String(length=150), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=True),
    sa.Column('resource_id', sa.BigInteger(), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('client_address', postgresql.INET(), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=True),
    sa.Column('bytes', sa.BigInteger(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_logs_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('activity_logs_pkey'))
    )
    op.create_index('ix_activity_logs_action_created_at', 'activity_logs', ['action', 'created_at'], unique=False)
    op.create_index('ix_activity_logs_created_at', 'activity_logs', ['created_at'], unique=False)
    op.create_index('ix_activity_logs_user_id_created_at', 'activity_logs', ['user_id', 'created_at'], unique=False)
    op.create_table('dav_locks',
    sa.Column('token', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('root', sa.Text(), nullable=False),
    sa.Column('principal', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('lock_type', sa.String(length=16), server_default='write', nullable=False),
    sa.Column('depth', sa.SmallInteger(), nullable=False),
    sa.Column('owner', sa.LargeBinary(), nullable=True),
    sa.Column('timeout_seconds', sa.Double(), nullable=False),
    sa.Column('expire', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("scope IN ('exclusive', 'shared')", name=op.f('ck_dav_locks_scope_known')),
    sa.CheckConstraint('depth IN (0, -1)', name=op.f('ck_dav_locks_depth_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dav_locks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('dav_locks_pkey'))
    )
    op.create_index('ix_dav_locks_expire', 'dav_locks', ['expire'], unique=False)
    op.create_index('ix_dav_locks_root', 'dav_locks', ['root'], unique=False, postgresql_ops={'root': 'text_pattern_ops'})
    op.create_index('ix_dav_locks_user_id', 'dav_locks', ['user_id'], unique=False)
    op.create_table('folders',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_folders_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['folders.id'], name=op.f('fk_folders_parent_id_folders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_folders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('folders_pkey')),
    sa.UniqueConstraint('user_id', 'parent_id', 'name_key', name='uq_folders_user_id_parent_id_name_key', postgresql_nulls_not_distinct=True)
    )
    op.create_index('idx_folders_parent', 'folders', ['parent_id'], unique=False)
    op.create_index('idx_folders_user', 'folders', ['user_id'], unique=False)
    op.create_table('media_files',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('uploaded_by', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=True),
    sa.Column('sha1', sa.String(length=40), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('mime_type', sa.String(length=255), server_default='application/octet-stream', nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('artist', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_media_files_sha256_hex')),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_media_files_size_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_media_files_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_media_files_uploaded_by_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('media_files_pkey')),
    sa.UniqueConstraint('uploaded_by', 'sha256', name='uq_media_files_uploaded_by_sha256')
    )
    op.create_index('idx_media_files_category', 'media_files', ['category_id'], unique=False)
    op.create_index('idx_media_files_created_at', 'media_files', ['created_at'], unique=False)
    op.create_index('idx_media_files_sha256', 'media_files', ['sha256'], unique=False)
    op.create_index('idx_media_files_uploaded_by', 'media_files', ['uploaded_by'], unique=False)
    op.create_table('playlists',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_playlists_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('playlists_pkey')),
    sa.UniqueConstraint('user_id', 'name_key', name=op.f('uq_playlists_user_id_name_key'))
    )
    op.create_index('idx_playlists_created', 'playlists', ['created_at'], unique=False)
    op.create_table('smart_folders',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("jsonb_typeof(rules) = 'object'", name=op.f('ck_smart_folders_rules_object')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_smart_folders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('smart_folders_pkey')),
    sa.UniqueConstraint('user_id', 'name_key', name=op.f('uq_smart_folders_user_id_name_key'))
    )
    op.create_table('system_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_system_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('system_settings_pkey'))
    )
    op.create_table('tags',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('color', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tags_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('tags_pkey')),
    sa.UniqueConstraint('user_id', 'name_key', name=op.f('uq_tags_user_id_name_key'))
    )
    op.create_table('files',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('folder_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('media_file_id', sa.BigInteger(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("hash ~ '^[0-9a-f]{64}$'", name=op.f('ck_files_hash_hex')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_files_version_positive')),
    sa.ForeignKeyConstraint(['folder_id'], ['folders.id'], name=op.f('fk_files_folder_id_folders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_file_id'], ['media_files.id'], name=op.f('fk_files_media_file_id_media_files'), ondelete='NO ACTION'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_files_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('files_pkey')),
    sa.UniqueConstraint('user_id', 'folder_id', 'name_key', name='uq_files_user_id_folder_id_name_key')
    )
    op.create_index('idx_files_folder', 'files', ['folder_id'], unique=False)
    op.create_index('idx_files_hash', 'files', ['hash'], unique=False)
    op.create_index('idx_files_user', 'files', ['user_id'], unique=False)
    op.create_index('ix_files_media_file_id', 'files', ['media_file_id'], unique=False)
    op.create_table('import_batches',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=False),
    sa.Column('target_folder_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='running', nullable=False),
    sa.Column('total_files', sa.Integer(), server_default='0', nullable=False),
    sa.Column('imported_files', sa.Integer(), server_default='0', nullable=False),
    sa.Column('duplicate_files', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failed_files', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_bytes', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('imported_bytes', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('running', 'completed', 'failed', 'interrupted')", name=op.f('ck_import_batches_status_known')),
    sa.ForeignKeyConstraint(['target_folder_id'], ['folders.id'], name=op.f('fk_import_batches_target_folder_id_folders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_batches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('import_batches_pkey'))
    )
    op.create_index('ix_import_batches_target_folder_id', 'import_batches', ['target_folder_id'], unique=False)
    op.create_index('ix_import_batches_user_id_started_at', 'import_batches', ['user_id', 'started_at'], unique=False)
    op.create_table('albums',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), sa.Computed('normalize(name, NFC)', persisted=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('cover_file_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cover_file_id'], ['files.id'], name=op.f('fk_albums_cover_file_id_files'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_albums_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('albums_pkey')),
    sa.UniqueConstraint('user_id', 'name_key', name=op.f('uq_albums_user_id_name_key'))
    )
    op.create_index('ix_albums_cover_file_id', 'albums', ['cover_file_id'], unique=False)
    op.create_table('dav_properties',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('file_id', sa.BigInteger(), nullable=True),
    sa.Column('folder_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('num_nonnulls(file_id, folder_id) = 1', name=op.f('ck_dav_properties_exactly_one_target')),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_dav_properties_file_id_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['folder_id'], ['folders.id'], name=op.f('fk_dav_properties_folder_id_folders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('dav_properties_pkey')),
    sa.UniqueConstraint('file_id', 'folder_id', 'name', name='uq_dav_properties_target_name', postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_dav_properties_folder_id', 'dav_properties', ['folder_id'], unique=False)
    op.create_table('file_tags',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('file_id', sa.BigInteger(), nullable=False),
    sa.Column('tag_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_file_tags_file_id_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_file_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('file_tags_pkey')),
    sa.UniqueConstraint('file_id', 'tag_id', name=op.f('uq_file_tags_file_id_tag_id'))
    )
    op.create_index('ix_file_tags_tag_id', 'file_tags', ['tag_id'], unique=False)
    op.create_table('play_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('file_id', sa.BigInteger(), nullable=True),
    sa.Column('media_file_id', sa.BigInteger(), nullable=True),
    sa.Column('played_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('seconds_played', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('client', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_play_history_file_id_files'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_file_id'], ['media_files.id'], name=op.f('fk_play_history_media_file_id_media_files'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_play_history_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('play_history_pkey'))
    )
    op.create_index('ix_play_history_file_id', 'play_history', ['file_id'], unique=False)
    op.create_index('ix_play_history_media_file_id', 'play_history', ['media_file_id'], unique=False)
    op.create_index('ix_play_history_user_id_played_at', 'play_history', ['user_id', 'played_at'], unique=False)
    op.create_table('playlist_tracks',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('playlist_id', sa.BigInteger(), nullable=False),
    sa.Column('file_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_playlist_tracks_position_not_negative')),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_playlist_tracks_file_id_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['playlist_id'], ['playlists.id'], name=op.f('fk_playlist_tracks_playlist_id_playlists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('playlist_tracks_pkey')),
    sa.UniqueConstraint('playlist_id', 'position', deferrable=True, initially='DEFERRED', name=op.f('uq_playlist_tracks_playlist_id_position'))
    )
    op.create_index('ix_playlist_tracks_file_id', 'playlist_tracks', ['file_id'], unique=False)
    op.create_table('album_files',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('album_id', sa.BigInteger(), nullable=False),
    sa.Column('file_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['album_id'], ['albums.id'], name=op.f('fk_album_files_album_id_albums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_album_files_file_id_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('album_files_pkey')),
    sa.UniqueConstraint('album_id', 'file_id', name=op.f('uq_album_files_album_id_file_id'))
    )
    op.create_index('ix_album_files_file_id', 'album_files', ['file_id'], unique=False)
    op.create_table('permissions',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('grantee_id', sa.BigInteger(), nullable=False),
    sa.Column('folder_id', sa.BigInteger(), nullable=True),
    sa.Column('album_id', sa.BigInteger(), nullable=True),
    sa.Column('smart_folder_id', sa.BigInteger(), nullable=True),
    sa.Column('file_id', sa.BigInteger(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('granted_by', sa.BigInteger(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("level IN ('read', 'write', 'manage')", name=op.f('ck_permissions_level_known')),
    sa.CheckConstraint('grantee_id <> owner_id', name=op.f('ck_permissions_not_self')),
    sa.CheckConstraint('num_nonnulls(folder_id, album_id, smart_folder_id, file_id) = 1', name=op.f('ck_permissions_exactly_one_target')),
    sa.ForeignKeyConstraint(['album_id'], ['albums.id'], name=op.f('fk_permissions_album_id_albums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_permissions_file_id_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['folder_id'], ['folders.id'], name=op.f('fk_permissions_folder_id_folders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_permissions_granted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grantee_id'], ['users.id'], name=op.f('fk_permissions_grantee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_permissions_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['smart_folder_id'], ['smart_folders.id'], name=op.f('fk_permissions_smart_folder_id_smart_folders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('permissions_pkey')),
    sa.UniqueConstraint('grantee_id', 'folder_id', 'album_id', 'smart_folder_id', 'file_id', name='uq_permissions_grantee_target', postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_permissions_album_id', 'permissions', ['album_id'], unique=False)
    op.create_index('ix_permissions_file_id', 'permissions', ['file_id'], unique=False)
    op.create_index('ix_permissions_folder_id', 'permissions', ['folder_id'], unique=False)
    op.create_index('ix_permissions_owner_id', 'permissions', ['owner_id'], unique=False)
    op.create_index('ix_permissions_smart_folder_id', 'permissions', ['smart_folder_id'], unique=False)
    op.create_table('share_links',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('folder_id', sa.BigInteger(), nullable=True),
    sa.Column('album_id', sa.BigInteger(), nullable=True),
    sa.Column('smart_folder_id', sa.BigInteger(), nullable=True),
    sa.Column('tag_id', sa.BigInteger(), nullable=True),
    sa.Column('file_id', sa.BigInteger(), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_downloads', sa.Integer(), nullable=True),
    sa.Column('download_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('access_count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_accessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name=op.f('ck_share_links_token_hash_hex')),
    sa.CheckConstraint('download_count >= 0 AND access_count >= 0', name=op.f('ck_share_links_counters_not_negative')),
    sa.CheckConstraint('max_downloads IS NULL OR max_downloads > 0', name=op.f('ck_share_links_max_downloads_positive')),
    sa.CheckConstraint('num_nonnulls(folder_id, album_id, smart_folder_id, tag_id, file_id) = 1', name=op.f('ck_share_links_exactly_one_target')),
    sa.ForeignKeyConstraint(['album_id'], ['albums.id'], name=op.f('fk_share_links_album_id_albums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_share_links_file_id_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['folder_id'], ['folders.id'], name=op.f('fk_share_links_folder_id_folders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_share_links_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['smart_folder_id'], ['smart_folders.id'], name=op.f('fk_share_links_smart_folder_id_smart_folders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_share_links_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('share_links_pkey')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_share_links_token_hash'))
    )
    op.create_index('ix_share_links_album_id', 'share_links', ['album_id'], unique=False)
    op.create_index('ix_share_links_file_id', 'share_links', ['file_id'], unique=False)
    op.create_index('ix_share_links_folder_id', 'share_links', ['folder_id'], unique=False)
    op.create_index('ix_share_links_owner_id', 'share_links', ['owner_id'], unique=False)
    op.create_index('ix_share_links_smart_folder_id', 'share_links', ['smart_folder_id'], unique=False)
    op.create_index('ix_share_links_tag_id', 'share_links', ['tag_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_share_links_tag_id', table_name='share_links')
    op.drop_index('ix_share_links_smart_folder_id', table_name='share_links')
    op.drop_index('ix_share_links_owner_id', table_name='share_links')
    op.drop_index('ix_share_links_folder_id', table_name='share_links')
    op.drop_index('ix_share_links_file_id', table_name='share_links')
    op.drop_index('ix_share_links_album_id', table_name='share_links')
    op.drop_table('share_links')
    op.drop_index('ix_permissions_smart_folder_id', table_name='permissions')
    op.drop_index('ix_permissions_owner_id', table_name='permissions')
    op.drop_index('ix_permissions_folder_id', table_name='permissions')
    op.drop_index('ix_permissions_file_id', table_name='permissions')
    op.drop_index('ix_permissions_album_id', table_name='permissions')
    op.drop_table('permissions')
    op.drop_index('ix_album_files_file_id', table_name='album_files')
    op.drop_table('album_files')
    op.drop_index('ix_playlist_tracks_file_id', table_name='playlist_tracks')
    op.drop_table('playlist_tracks')
    op.drop_index('ix_play_history_user_id_played_at', table_name='play_history')
    op.drop_index('ix_play_history_media_file_id', table_name='play_history')
    op.drop_index('ix_play_history_file_id', table_name='play_history')
    op.drop_table('play_history')
    op.drop_index('ix_file_tags_tag_id', table_name='file_tags')
    op.drop_table('file_tags')
    op.drop_index('ix_dav_properties_folder_id', table_name='dav_properties')
    op.drop_table('dav_properties')
    op.drop_index('ix_albums_cover_file_id', table_name='albums')
    op.drop_table('albums')
    op.drop_index('ix_import_batches_user_id_started_at', table_name='import_batches')
    op.drop_index('ix_import_batches_target_folder_id', table_name='import_batches')
    op.drop_table('import_batches')
    op.drop_index('ix_files_media_file_id', table_name='files')
    op.drop_index('idx_files_user', table_name='files')
    op.drop_index('idx_files_hash', table_name='files')
    op.drop_index('idx_files_folder', table_name='files')
    op.drop_table('files')
    op.drop_table('tags')
    op.drop_table('system_settings')
    op.drop_table('smart_folders')
    op.drop_index('idx_playlists_created', table_name='playlists')
    op.drop_table('playlists')
    op.drop_index('idx_media_files_uploaded_by', table_name='media_files')
    op.drop_index('idx_media_files_sha256', table_name='media_files')
    op.drop_index('idx_media_files_created_at', table_name='media_files')
    op.drop_index('idx_media_files_category', table_name='media_files')
    op.drop_table('media_files')
    op.drop_index('idx_folders_user', table_name='folders')
    op.drop_index('idx_folders_parent', table_name='folders')
    op.drop_table('folders')
    op.drop_index('ix_dav_locks_user_id', table_name='dav_locks')
    op.drop_index('ix_dav_locks_root', table_name='dav_locks', postgresql_ops={'root': 'text_pattern_ops'})
    op.drop_index('ix_dav_locks_expire', table_name='dav_locks')
    op.drop_table('dav_locks')
    op.drop_index('ix_activity_logs_user_id_created_at', table_name='activity_logs')
    op.drop_index('ix_activity_logs_created_at', table_name='activity_logs')
    op.drop_index('ix_activity_logs_action_created_at', table_name='activity_logs')
    op.drop_table('activity_logs')
    op.drop_index('uq_users_username', table_name='users')
    op.drop_index('uq_users_email', table_name='users')
    op.drop_table('users')
    op.drop_index('IDX_session_expire', table_name='sessions')
    op.drop_table('sessions')
    op.drop_table('categories')

"""Alembic environment: runs against the connection the gateway hands over.

There is no alembic.ini: ``mediavault_dav.db.schema`` builds the configuration and
passes an open connection in ``config.attributes["connection"]``, so the same code
path serves ``mediavault-dav db upgrade``, the embedded auto-upgrade and the tests.
"""

from alembic import context

from mediavault_dav.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `mediavault-dav db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: runs on the connection `bot.store.database` hands it."""

from __future__ import annotations

from alembic import context

from paperwire.bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when run from the alembic CLI
    raise RuntimeError("paperwire applies its migrations itself at start; run `paperwire config check`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

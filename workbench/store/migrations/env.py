"""Alembic environment: migrations run on the connection `open_store` passes in `config.attributes`."""

from alembic import context

from workbench.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Alembic migrations of the preference store's schema (run by `workbench.store.db.open_store`)."""

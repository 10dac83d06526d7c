"""Alembic migrations: the migration, never create_all, builds every database."""

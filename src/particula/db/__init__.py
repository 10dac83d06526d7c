"""The database layer: the seed's tables as SQLAlchemy models, the engine and the session that owns a transaction."""

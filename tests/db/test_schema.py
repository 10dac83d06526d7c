"""The migrated schema is the seed's schema: same catalog, plus only the documented additions."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from particula.db.models import Base
from particula.db.session import create_engine
from tests.conftest import Services, asyncpg_dsn, database_url_for

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_b7c9126d99272b54.txt"
VENDORED_SEED_SQL = Path(__file__).with_name("seed_schema.sql")

# Everything the migrations add beyond the seed, each listed with its reason in docs/ARCHITECTURE.md.
DOCUMENTED_ADDITIONS = {
    ("trigger", "scenes", "scenes_touch_updated_at"),
    ("trigger", "users", "users_touch_updated_at"),
    ("function", "", "particula_touch_updated_at"),
    ("index", "users", "users_email_lower_key"),
    ("index", "users", "users_username_lower_key"),
    ("column", "refresh_tokens", "family_id"),
    ("column", "refresh_tokens", "rotated_at"),
    ("index", "refresh_tokens", "refresh_tokens_token_hash_key"),
    ("index", "refresh_tokens", "idx_refresh_tokens_family"),
    ("index", "scenes", "idx_scenes_search"),
    ("index", "scenes", "idx_scenes_gallery_new"),
    ("index", "scenes", "idx_scenes_gallery_top"),
    ("index", "scenes", "idx_scenes_forked_from"),
}

CATALOG_QUERIES = {
    "column": """
        SELECT table_name, column_name,
               concat_ws(' | ', ordinal_position, data_type, udt_name, character_maximum_length,
                         is_nullable, column_default)
        FROM information_schema.columns WHERE table_schema = 'public'""",
    "constraint": """
        SELECT cl.relname, co.conname, co.contype::text || ' ' || pg_get_constraintdef(co.oid)
        FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
        JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = 'public'""",
    "index": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "trigger": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal""",
    "function": """
        SELECT '', p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'""",
    "table": "SELECT tablename, tablename, '' FROM pg_tables WHERE schemaname = 'public'",
}


def seed_sql() -> str:
    """The SQL blocks of the seed document (the vendored copy when shared/ is not beside the checkout)."""
    if SEED.exists():
        return "\n".join(re.findall(r"```sql\n(.*?)```", SEED.read_text(), flags=re.DOTALL))
    return VENDORED_SEED_SQL.read_text()


async def catalog(dsn: dict[str, str]) -> dict[tuple[str, str, str], str]:
    connection = await asyncpg.connect(**dsn)
    try:
        found: dict[tuple[str, str, str], str] = {}
        for kind, query in CATALOG_QUERIES.items():
            for table, name, definition in await connection.fetch(query):
                if table == "alembic_version" or name == "alembic_version":
                    continue
                found[(kind, table, name)] = definition
        return found
    finally:
        await connection.close()


def test_vendored_seed_sql_is_the_seed() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed document is not beside this checkout ({SEED})")
    assert VENDORED_SEED_SQL.read_text().strip() == seed_sql().strip()


async def test_migrated_schema_equals_the_seed(services: Services, database_url: str) -> None:
    name = f"seed_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(**asyncpg_dsn(services.postgres_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        seed_dsn = asyncpg_dsn(database_url_for(services.postgres_url, name))
        seeded = await asyncpg.connect(**seed_dsn)
        await seeded.execute(seed_sql())
        await seeded.close()
        expected = await catalog(seed_dsn)
        migrated = await catalog(asyncpg_dsn(database_url))
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()

    assert len(expected) > 60  # 7 tables, their columns, keys and indexes: the comparison has substance
    differing = {key: (expected[key], migrated.get(key)) for key in expected if migrated.get(key) != expected[key]}
    assert differing == {}
    additions = set(migrated) - set(expected)
    assert additions == DOCUMENTED_ADDITIONS


async def test_models_match_the_migrated_schema(database_url: str) -> None:
    def comparable(item: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        # Alembic cannot compare a GIN expression index; the catalog test above checks it in the database.
        return not (kind == "index" and name in {"idx_scenes_search"})

    def differences(connection: Connection) -> list[object]:
        options = {"compare_type": True, "include_object": comparable}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []

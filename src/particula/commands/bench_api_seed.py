"""`particula bench api`, the data: seed users, scenes and likes with set-based SQL, and check the counters."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # no stubs; only the benchmark talks to it directly

_ADJECTIVES = [
    "Molten",
    "Frozen",
    "Tiny",
    "Endless",
    "Burning",
    "Quiet",
    "Falling",
    "Crystal",
    "Toxic",
    "Ancient",
    "Electric",
    "Sandy",
    "Stormy",
    "Hidden",
    "Golden",
    "Rusty",
    "Floating",
    "Broken",
    "Glowing",
    "Sunken",
]
_NOUNS = [
    "Volcano",
    "Waterfall",
    "Castle",
    "Desert",
    "Lab",
    "Garden",
    "Factory",
    "Reactor",
    "Canyon",
    "Lagoon",
    "Forest",
    "Hourglass",
    "Mine",
    "Glacier",
    "Oasis",
    "Tower",
    "Bridge",
    "Cavern",
    "Island",
    "Furnace",
]
_SUFFIXES = ("", "", "", " II", " (WIP)", " v2", " experiment", " at dusk", " remix", " #2")
ELEMENTS = ["sand", "water", "lava", "oil", "acid", "ice", "plant", "gunpowder", "fire", "stone", "steam", "salt"]


def _sql_array(words: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ",".join("'" + word.replace("'", "''") + "'" for word in words) + "]"


def _pick(words: tuple[str, ...] | list[str]) -> str:
    """SQL for one random word of the list, drawn per row."""
    return f"({_sql_array(words)})[1 + floor(random() * {len(words)})::int]"


@dataclass(frozen=True)
class DataSize:
    users: int
    scenes: int
    likes: int
    public_share: float = 0.8


@dataclass(frozen=True)
class SeedResult:
    users: int
    scenes: int
    public_scenes: int
    likes: int
    seconds: float


def postmaster_fields(data_dir: Path) -> list[str]:
    """The lines of the embedded PostgreSQL's postmaster.pid: pid, data dir, start time, port, socket directory, ..."""
    return (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()


@dataclass(frozen=True)
class Database:
    """Where the embedded PostgreSQL of a data dir listens (its unix socket directory and port)."""

    socket_dir: str
    port: int
    database: str = "particula"
    user: str = "postgres"

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> Database:
        lines = postmaster_fields(data_dir)
        return cls(socket_dir=lines[4].strip(), port=int(lines[3]))

    async def connect(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(
            host=self.socket_dir, port=self.port, user=self.user, database=self.database
        )
        return connection


_USERS = """
INSERT INTO users (email, username, password_hash, created_at, updated_at)
SELECT 'player' || g || '@bench.example', 'player' || g, NULL, t, t
FROM (SELECT g, now() - random() * interval '400 days' AS t FROM generate_series(1, $1) g) s
"""

_NUMBER_USERS = """
CREATE TEMP TABLE bench_users AS SELECT row_number() OVER (ORDER BY id)::int AS no, id FROM users;
CREATE UNIQUE INDEX ON bench_users (no);
"""

_SCENES = f"""
INSERT INTO scenes (id, author_id, title, description, data_url, thumbnail_url, particle_count, file_size_bytes,
                    is_public, views_count, created_at, updated_at)
SELECT s.id, u.id, s.title, s.description,
       'scenes/' || u.id || '/' || s.id || '/data.bin', 'scenes/' || u.id || '/' || s.id || '/thumb.webp',
       s.particles, 2000 + s.particles / 12, s.is_public, floor(random() * 500)::int, s.created, s.created
FROM (
    SELECT gen_random_uuid() AS id,
           1 + floor(random() * (SELECT count(*) FROM bench_users))::int AS author_no,
           {_pick(_ADJECTIVES)} || ' ' || {_pick(_NOUNS)} || {_pick(_SUFFIXES)} AS title,
           CASE WHEN random() < 0.5 THEN NULL
                ELSE 'Pour ' || {_pick(ELEMENTS)} || ' onto ' || {_pick(ELEMENTS)} || ' and watch the '
                     || lower({_pick(_NOUNS)}) || ' change.' END AS description,
           floor(random() * 480000)::int AS particles,
           random() < $2 AS is_public,
           now() - random() * interval '365 days' AS created
    FROM generate_series(1, $1)
) s
JOIN bench_users u ON u.no = s.author_no
"""

_NUMBER_PUBLIC = """
CREATE TEMP TABLE bench_public AS
    SELECT row_number() OVER (ORDER BY id)::int AS no, id, created_at FROM scenes WHERE is_public;
CREATE UNIQUE INDEX ON bench_public (no);
"""

# Random (user, public scene) pairs; duplicates are dropped by the primary key and topped up by the caller.
_LIKES = """
INSERT INTO likes (user_id, scene_id, created_at)
SELECT u.id, p.id, p.created_at + random() * (now() - p.created_at)
FROM (
    SELECT 1 + floor(random() * (SELECT count(*) FROM bench_users))::int AS user_no,
           1 + floor(random() * (SELECT count(*) FROM bench_public))::int AS scene_no
    FROM generate_series(1, $1)
) r
JOIN bench_users u ON u.no = r.user_no
JOIN bench_public p ON p.no = r.scene_no
ON CONFLICT DO NOTHING
"""

_COUNTERS = """
UPDATE scenes SET likes_count = c.n
FROM (SELECT s.id, count(l.scene_id)::int AS n FROM scenes s LEFT JOIN likes l ON l.scene_id = s.id GROUP BY s.id) c
WHERE c.id = scenes.id AND scenes.likes_count IS DISTINCT FROM c.n;
UPDATE users SET total_scenes = c.scenes, total_likes_received = c.received
FROM (SELECT u.id, count(s.id)::int AS scenes, coalesce(sum(s.likes_count), 0)::int AS received
      FROM users u LEFT JOIN scenes s ON s.author_id = u.id GROUP BY u.id) c
WHERE c.id = users.id;
"""


async def _prepare(connection: asyncpg.Connection) -> None:
    # Generated rows are valid by construction: skip FK triggers and the updated_at trigger while seeding,
    # and do not wait for the WAL flush of each statement.
    await connection.execute(
        "SET session_replication_role = replica; SET synchronous_commit = off; SET maintenance_work_mem = '512MB'"
    )


async def _insert_likes(connection: asyncpg.Connection, wanted: int) -> int:
    have = 0
    while have < wanted:
        status = await connection.execute(_LIKES, wanted - have)
        added = int(status.split()[-1])
        if added == 0:
            break  # fewer possible pairs than wanted (only in tiny data sets)
        have += added
    return have


async def seed(database: Database, size: DataSize) -> SeedResult:
    """Insert the users, scenes and likes, set every counter from the rows, then VACUUM ANALYZE."""
    started = time.perf_counter()
    connection = await database.connect()
    try:
        await _prepare(connection)
        async with connection.transaction():
            await connection.execute(_USERS, size.users)
            await connection.execute(_NUMBER_USERS)
            await connection.execute(_SCENES, size.scenes, size.public_share)
            await connection.execute(_NUMBER_PUBLIC)
            likes = await _insert_likes(connection, size.likes)
            await connection.execute(_COUNTERS)
        await connection.execute("VACUUM (ANALYZE) users, scenes, likes")
        public = await connection.fetchval("SELECT count(*) FROM scenes WHERE is_public")
    finally:
        await connection.close()
    seconds = time.perf_counter() - started
    return SeedResult(size.users, size.scenes, int(public), likes, seconds)


@dataclass(frozen=True)
class CounterCheck:
    scenes_off: int  # scenes whose likes_count differs from their likes rows
    users_off: int  # users whose total_likes_received differs from the sum over their scenes
    likes: int

    @property
    def exact(self) -> bool:
        return self.scenes_off == 0 and self.users_off == 0


_CHECK = """
SELECT
  (SELECT count(*) FROM scenes s
     LEFT JOIN (SELECT scene_id, count(*) AS n FROM likes GROUP BY scene_id) l ON l.scene_id = s.id
   WHERE s.likes_count IS DISTINCT FROM coalesce(l.n, 0)) AS scenes_off,
  (SELECT count(*) FROM users u
     LEFT JOIN (SELECT author_id, sum(likes_count) AS n FROM scenes GROUP BY author_id) s ON s.author_id = u.id
   WHERE u.total_likes_received IS DISTINCT FROM coalesce(s.n, 0)) AS users_off,
  (SELECT count(*) FROM likes) AS likes
"""


async def check_counters(database: Database) -> CounterCheck:
    connection = await database.connect()
    try:
        row = await connection.fetchrow(_CHECK)
    finally:
        await connection.close()
    assert row is not None
    return CounterCheck(int(row["scenes_off"]), int(row["users_off"]), int(row["likes"]))


async def sample_ids(database: Database, *, public_scenes: int, users: int) -> tuple[list[str], list[uuid.UUID]]:
    """Up to `public_scenes` public scene ids and `users` user ids, in random order."""
    connection = await database.connect()
    try:
        scenes = await connection.fetch(
            "SELECT id FROM scenes WHERE is_public ORDER BY random() LIMIT $1", public_scenes
        )
        people = await connection.fetch("SELECT id FROM users ORDER BY random() LIMIT $1", users)
    finally:
        await connection.close()
    return [str(row["id"]) for row in scenes], [row["id"] for row in people]

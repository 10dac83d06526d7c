"""Every SQL query on `scenes` and `likes` (and the user counters they move)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from particula.db.models import Like, Scene, User, uuid_array
from particula.db.session import insert_row
from particula.scenes.schemas import GallerySort

# The full-text document of a scene; migration 0003 indexes exactly this expression.
# Written out as SQL so the planner sees the indexed expression itself (bound parameters would hide it).
SEARCH_DOCUMENT: ColumnElement[Any] = literal_column(
    "to_tsvector('english', scenes.title || ' ' || coalesce(scenes.description, ''))"
)


@dataclass(frozen=True)
class SceneRow:
    scene: Scene
    author_username: str
    author_avatar_url: str | None
    liked_by_me: bool | None


async def insert_scene(session: AsyncSession, **fields: Any) -> Scene:
    return await insert_row(session, Scene(**fields))


async def reserve_scene_slot(session: AsyncSession, user_id: uuid.UUID, limit: int | None) -> bool:
    """Count one more scene for the user, atomically refusing past the tier's limit."""
    statement = update(User).where(User.id == user_id).values(total_scenes=User.total_scenes + 1)
    if limit is not None:
        statement = statement.where(User.total_scenes < limit)
    return (await session.execute(statement.returning(User.id))).first() is not None


def _with_author(me: uuid.UUID | None) -> Select[Any]:
    liked: ColumnElement[Any] = Like.user_id.is_not(None) if me is not None else literal(None)
    query = select(Scene, User.username, User.avatar_url, liked).join(User, User.id == Scene.author_id)
    if me is not None:
        query = query.outerjoin(Like, and_(Like.scene_id == Scene.id, Like.user_id == me))
    return query


def _rows(result: Any) -> list[SceneRow]:
    return [SceneRow(scene, username, avatar, liked) for scene, username, avatar, liked in result]


async def get_with_author(session: AsyncSession, scene_id: uuid.UUID, me: uuid.UUID | None) -> SceneRow | None:
    rows = _rows(await session.execute(_with_author(me).where(Scene.id == scene_id)))
    return rows[0] if rows else None


Lock = Literal["update", "no key update", "share"] | None


async def get(session: AsyncSession, scene_id: uuid.UUID, *, lock: Lock = None) -> Scene | None:
    """The scene's row, optionally locked: `update` to change it, `no key update` to move its counters
    (still excluding a concurrent delete), `share` to copy it while nobody deletes it."""
    query = select(Scene).where(Scene.id == scene_id)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "no key update":
        query = query.with_for_update(key_share=True)
    elif lock == "share":
        query = query.with_for_update(read=True)
    return (await session.execute(query)).scalar_one_or_none()


async def change(session: AsyncSession, scene_id: uuid.UUID, **fields: Any) -> None:
    await session.execute(update(Scene).where(Scene.id == scene_id).values(**fields))


async def remove(session: AsyncSession, scene_id: uuid.UUID) -> None:
    """Delete a scene and take it off its author's counters, in one transaction.

    The DELETE locks the row, so a like racing with it either lands before (and is in likes_count)
    or fails on the foreign key after; the author's total stays exact.
    """
    statement = delete(Scene).where(Scene.id == scene_id).returning(Scene.author_id, Scene.likes_count)
    row = (await session.execute(statement)).first()
    if row is None or row.author_id is None:
        return
    await session.execute(
        update(User)
        .where(User.id == row.author_id)
        .values(
            total_scenes=User.total_scenes - 1,
            total_likes_received=User.total_likes_received - (row.likes_count or 0),
        )
    )


@dataclass(frozen=True)
class LikeOutcome:
    visible: bool  # the scene exists and the user may see it
    likes_count: int
    author_id: uuid.UUID | None
    changed: bool  # a like was added or removed (so the counters moved)


# One statement per like or unlike: lock the scene row (so a concurrent delete runs wholly before or after),
# add or remove the user's like if the user may see the scene, and move both counters only when a row changed.
# Data-modifying CTEs run exactly once, on the locked row's latest version.
_LIKE = """
WITH scene AS (
    SELECT id, author_id, likes_count, (is_public OR author_id = :user) AS visible
    FROM scenes WHERE id = :scene FOR NO KEY UPDATE
), changed AS (
    {change}
), bumped AS (
    UPDATE scenes SET likes_count = likes_count + :delta WHERE id IN (SELECT scene_id FROM changed)
    RETURNING likes_count
), author AS (
    UPDATE users SET total_likes_received = total_likes_received + :delta
    WHERE id = (SELECT author_id FROM scene) AND EXISTS (SELECT 1 FROM changed)
    RETURNING id
)
SELECT scene.visible, coalesce((SELECT likes_count FROM bumped), scene.likes_count), scene.author_id,
       EXISTS (SELECT 1 FROM changed)
FROM scene
"""
_ADD = (
    "INSERT INTO likes (user_id, scene_id) SELECT :user, id FROM scene WHERE visible"
    " ON CONFLICT DO NOTHING RETURNING scene_id"
)
_REMOVE = (
    "DELETE FROM likes WHERE user_id = :user AND scene_id = (SELECT id FROM scene WHERE visible) RETURNING scene_id"
)
LIKE_SQL = text(_LIKE.format(change=_ADD))
UNLIKE_SQL = text(_LIKE.format(change=_REMOVE))


async def set_like(session: AsyncSession, user_id: uuid.UUID, scene_id: uuid.UUID, *, liked: bool) -> LikeOutcome:
    """Like or unlike, idempotently, with the row and both counters in one statement."""
    statement = LIKE_SQL if liked else UNLIKE_SQL
    params = {"user": user_id, "scene": scene_id, "delta": 1 if liked else -1}
    row = (await session.execute(statement, params)).first()
    if row is None:
        return LikeOutcome(visible=False, likes_count=0, author_id=None, changed=False)
    visible, count, author_id, changed = row
    return LikeOutcome(visible=bool(visible), likes_count=int(count or 0), author_id=author_id, changed=bool(changed))


async def add_views(session: AsyncSession, counts: dict[uuid.UUID, int]) -> None:
    """Add a batch of view counts in one statement (scenes deleted meanwhile are simply not matched)."""
    await session.execute(
        text(
            "UPDATE scenes SET views_count = views_count + batch.n"
            " FROM unnest(CAST(:ids AS uuid[]), CAST(:ns AS integer[])) AS batch(id, n) WHERE scenes.id = batch.id"
        ),
        {"ids": list(counts), "ns": list(counts.values())},
    )


async def bump_forks(session: AsyncSession, scene_id: uuid.UUID) -> None:
    await session.execute(update(Scene).where(Scene.id == scene_id).values(forks_count=Scene.forks_count + 1))


@dataclass(frozen=True)
class GalleryQuery:
    sort: GallerySort
    limit: int
    after: tuple[Any, ...] | None  # the last item's sort key, from the cursor
    search: str | None = None
    author_id: uuid.UUID | None = None
    include_private: bool = False


def sort_key(scene: Scene, sort: GallerySort) -> tuple[Any, ...]:
    if sort is GallerySort.top:
        return (scene.likes_count or 0, scene.created_at, scene.id)
    return (scene.created_at, scene.id)


async def gallery(session: AsyncSession, query: GalleryQuery, me: uuid.UUID | None) -> list[SceneRow]:
    """One page of scenes with their authors and liked_by_me, in one query (keyset pagination)."""
    statement = _with_author(me)
    if not query.include_private:
        statement = statement.where(Scene.is_public.is_(True))
    if query.author_id is not None:
        statement = statement.where(Scene.author_id == query.author_id)
    if query.sort is GallerySort.featured:
        statement = statement.where(Scene.is_featured.is_(True))
    if query.search:
        statement = statement.where(SEARCH_DOCUMENT.op("@@")(func.websearch_to_tsquery("english", query.search)))
    if query.sort is GallerySort.top:
        columns: tuple[Any, ...] = (Scene.likes_count, Scene.created_at, Scene.id)
    else:
        columns = (Scene.created_at, Scene.id)
    if query.after is not None:
        statement = statement.where(tuple_(*columns) < tuple_(*query.after))
    statement = statement.order_by(*(column.desc() for column in columns)).limit(query.limit)
    return _rows(await session.execute(statement))


async def scene_ids_existing(session: AsyncSession, scene_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not scene_ids:
        return set()
    # One array parameter: an IN list binds one parameter per id and stops at 32,767.
    found = await session.scalars(select(Scene.id).where(Scene.id == any_(uuid_array(scene_ids))))
    return set(found)


async def is_liked(session: AsyncSession, user_id: uuid.UUID, scene_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Like.user_id).where(Like.user_id == user_id, Like.scene_id == scene_id))
    return found is not None


async def forget_likes_of(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Before a user is deleted: their likes leave the counters of other authors' scenes.

    The likes rows themselves go with the user (ON DELETE CASCADE); the user's own scenes go too, so
    likes on those need no counting.
    """
    params = {"user": user_id}
    await session.execute(
        text(
            """
            UPDATE users author SET total_likes_received = author.total_likes_received - liked.n
            FROM (SELECT s.author_id, count(*) AS n FROM likes l JOIN scenes s ON s.id = l.scene_id
                  WHERE l.user_id = :user AND s.author_id <> :user GROUP BY s.author_id) liked
            WHERE author.id = liked.author_id
            """
        ),
        params,
    )
    await session.execute(
        text(
            """
            UPDATE scenes s SET likes_count = s.likes_count - 1 FROM likes l
            WHERE l.scene_id = s.id AND l.user_id = :user AND s.author_id <> :user
            """
        ),
        params,
    )

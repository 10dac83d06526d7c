"""updated_at moves on edits, not on counters: views, likes, forks, featuring, sign-ins.

A view or a like is not an edit of a scene: letting it move updated_at changed the scene's ETag and its
thumbnail URL with every new viewer. The trigger now compares the row without the columns it is given.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

IGNORED = {
    "users": ("total_likes_received", "total_scenes", "last_login_at", "updated_at"),
    "scenes": ("likes_count", "views_count", "forks_count", "is_featured", "updated_at"),
}


def upgrade() -> None:
    op.execute(
        """CREATE OR REPLACE FUNCTION particula_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The trigger's arguments name the columns whose changes are not edits of the row.
    IF (to_jsonb(NEW) - TG_ARGV) IS DISTINCT FROM (to_jsonb(OLD) - TG_ARGV) THEN
        NEW.updated_at := NOW();
    END IF;
    RETURN NEW;
END;
$$"""
    )
    for table, columns in IGNORED.items():
        arguments = ", ".join(f"'{column}'" for column in columns)
        op.execute(f"DROP TRIGGER {table}_touch_updated_at ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_touch_updated_at BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION particula_touch_updated_at({arguments})"
        )


def downgrade() -> None:
    op.execute(
        """CREATE OR REPLACE FUNCTION particula_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$"""
    )

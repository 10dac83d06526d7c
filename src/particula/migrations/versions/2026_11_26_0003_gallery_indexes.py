"""Gallery additions: full-text search over titles and descriptions, keyset indexes, fork lookups.

- idx_scenes_search: GIN over to_tsvector('english', title || ' ' || description), the expression the
  gallery's `q` searches (English stemming: "volcanoes" finds "volcano").
- idx_scenes_gallery_new / _top: the exact orderings of `sort=new` and `sort=top` over public scenes, so a
  page is an index range scan from the cursor whatever the page number.
- idx_scenes_forked_from: ON DELETE SET NULL on forked_from_id looks forks up by it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX idx_scenes_search ON scenes "
        "USING gin (to_tsvector('english', title || ' ' || coalesce(description, '')))"
    )
    op.execute("CREATE INDEX idx_scenes_gallery_new ON scenes (created_at DESC, id DESC) WHERE is_public = true")
    op.execute(
        "CREATE INDEX idx_scenes_gallery_top ON scenes (likes_count DESC, created_at DESC, id DESC) "
        "WHERE is_public = true"
    )
    op.execute("CREATE INDEX idx_scenes_forked_from ON scenes (forked_from_id)")


def downgrade() -> None:
    for name in ("idx_scenes_forked_from", "idx_scenes_gallery_top", "idx_scenes_gallery_new", "idx_scenes_search"):
        op.execute(f"DROP INDEX {name}")

"""Account additions: case-insensitive uniqueness of email and username; refresh-token rotation columns.

- users_email_lower_key / users_username_lower_key: emails and usernames are unique regardless of case
  (the seed's UNIQUE is case-sensitive, which would let "Ada" and "ada" be two people).
- refresh_tokens.family_id: one id per signed-in device, kept across rotations (the id of /auth/sessions).
- refresh_tokens.rotated_at: set when a token is exchanged; presenting a rotated token again is theft.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))")
    op.execute("CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))")
    op.execute("ALTER TABLE refresh_tokens ADD COLUMN family_id UUID NOT NULL DEFAULT gen_random_uuid()")
    op.execute("ALTER TABLE refresh_tokens ADD COLUMN rotated_at TIMESTAMP")
    op.execute("CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)")
    op.execute("CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family_id)")


def downgrade() -> None:
    op.execute("DROP INDEX idx_refresh_tokens_family")
    op.execute("DROP INDEX refresh_tokens_token_hash_key")
    op.execute("ALTER TABLE refresh_tokens DROP COLUMN rotated_at")
    op.execute("ALTER TABLE refresh_tokens DROP COLUMN family_id")
    op.execute("DROP INDEX users_username_lower_key")
    op.execute("DROP INDEX users_email_lower_key")

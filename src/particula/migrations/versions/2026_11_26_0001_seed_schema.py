"""The seed's schema (shared/seed), statement for statement, plus the updated_at trigger.

The seed's SQL is the database contract, so this migration is that SQL as written: nothing to translate,
nothing to drift. db/models.py mirrors it and a test proves the two agree.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEED_SQL = """
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE NOT NULL,
    username VARCHAR(50) UNIQUE NOT NULL,
    password_hash VARCHAR(255),
    avatar_url VARCHAR(500),
    oauth_provider VARCHAR(20),
    oauth_id VARCHAR(255),
    tier VARCHAR(20) DEFAULT 'free',
    tier_expires_at TIMESTAMP,
    total_likes_received INTEGER DEFAULT 0,
    total_scenes INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),
    last_login_at TIMESTAMP,
    UNIQUE(oauth_provider, oauth_id)
);
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_username ON users(username);

CREATE TABLE scenes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id UUID REFERENCES users(id) ON DELETE CASCADE,
    title VARCHAR(100) NOT NULL,
    description TEXT,
    data_url VARCHAR(500) NOT NULL,
    thumbnail_url VARCHAR(500),
    settings JSONB DEFAULT '{
        "width": 800,
        "height": 600,
        "gravity": {"x": 0, "y": 9.8},
        "ambientTemp": 20
    }',
    particle_count INTEGER DEFAULT 0,
    file_size_bytes INTEGER DEFAULT 0,
    is_public BOOLEAN DEFAULT false,
    is_featured BOOLEAN DEFAULT false,
    likes_count INTEGER DEFAULT 0,
    views_count INTEGER DEFAULT 0,
    forks_count INTEGER DEFAULT 0,
    forked_from_id UUID REFERENCES scenes(id) ON DELETE SET NULL,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);
CREATE INDEX idx_scenes_author ON scenes(author_id);
CREATE INDEX idx_scenes_public ON scenes(is_public) WHERE is_public = true;
CREATE INDEX idx_scenes_featured ON scenes(is_featured) WHERE is_featured = true;
CREATE INDEX idx_scenes_created ON scenes(created_at DESC);
CREATE INDEX idx_scenes_likes ON scenes(likes_count DESC);

CREATE TABLE likes (
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    scene_id UUID REFERENCES scenes(id) ON DELETE CASCADE,
    created_at TIMESTAMP DEFAULT NOW(),
    PRIMARY KEY (user_id, scene_id)
);
CREATE INDEX idx_likes_scene ON likes(scene_id);

CREATE TABLE rooms (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id UUID REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(50) NOT NULL,
    join_code VARCHAR(6) UNIQUE NOT NULL,
    password_hash VARCHAR(255),
    max_players INTEGER DEFAULT 10,
    current_players INTEGER DEFAULT 1,
    settings JSONB DEFAULT '{}',
    status VARCHAR(20) DEFAULT 'waiting',
    created_at TIMESTAMP DEFAULT NOW(),
    closed_at TIMESTAMP
);
CREATE INDEX idx_rooms_status ON rooms(status) WHERE status != 'closed';
CREATE INDEX idx_rooms_join_code ON rooms(join_code);

CREATE TABLE room_participants (
    room_id UUID REFERENCES rooms(id) ON DELETE CASCADE,
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    role VARCHAR(20) DEFAULT 'player',
    joined_at TIMESTAMP DEFAULT NOW(),
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE refresh_tokens (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    token_hash VARCHAR(255) NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP DEFAULT NOW(),
    user_agent VARCHAR(500),
    ip_address INET
);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX idx_refresh_tokens_expires ON refresh_tokens(expires_at);

CREATE TABLE purchases (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    product_type VARCHAR(50) NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency VARCHAR(3) DEFAULT 'USD',
    provider VARCHAR(20) NOT NULL,
    provider_payment_id VARCHAR(255),
    status VARCHAR(20) DEFAULT 'pending',
    created_at TIMESTAMP DEFAULT NOW(),
    completed_at TIMESTAMP
);
CREATE INDEX idx_purchases_user ON purchases(user_id);
"""

# Addition (docs/ARCHITECTURE.md): keep updated_at current on every UPDATE, whoever writes the row.
UPDATED_AT_SQL = (
    """CREATE FUNCTION particula_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$""",
    """CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION particula_touch_updated_at()""",
    """CREATE TRIGGER scenes_touch_updated_at BEFORE UPDATE ON scenes
    FOR EACH ROW EXECUTE FUNCTION particula_touch_updated_at()""",
)


def seed_statements() -> list[str]:
    """The seed's SQL one statement at a time (asyncpg prepares each statement it runs)."""
    return [statement.strip() for statement in SEED_SQL.split(";\n") if statement.strip()]


def upgrade() -> None:
    for statement in (*seed_statements(), *UPDATED_AT_SQL):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE purchases, refresh_tokens, room_participants, rooms, likes, scenes, users CASCADE")
    op.execute("DROP FUNCTION particula_touch_updated_at()")

"""Users as the API shows them: the private account (to its owner) and the public profile (to everyone)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from particula.auth.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH

USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,50}$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX_LENGTH)]


class PublicUser(BaseModel):
    """What anyone may see of a user: never the email."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    avatar_url: str | None
    tier: str
    total_likes_received: int
    total_scenes: int
    created_at: datetime


class Account(PublicUser):
    """What a signed-in user sees of themselves (and what cache:user:{id} holds)."""

    email: str
    tier_expires_at: datetime | None
    last_login_at: datetime | None
    oauth_provider: str | None
    has_password: bool

    def public(self) -> PublicUser:
        return PublicUser.model_validate(self.model_dump(include=set(PublicUser.model_fields)))


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    email: EmailStr | None = Field(default=None, max_length=255)
    current_password: Password | None = Field(default=None, description="Needed to change the email")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password | None = Field(default=None, description="Not needed if none is set yet")
    new_password: Password


class AccountDeletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password | None = Field(default=None, description="Needed when the account has a password")

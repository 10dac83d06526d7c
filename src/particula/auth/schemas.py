"""Sign-in requests and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from particula.users.schemas import Account, Password, Username


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=255)
    username: Username
    password: Password


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=255, description="Email or username")
    password: Password


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = Field(
        default=None, max_length=200, description="Omit to use the httpOnly cookie set at sign-in"
    )


class SignedIn(BaseModel):
    user: Account
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class DeviceOut(BaseModel):
    id: uuid.UUID
    user_agent: str | None
    ip_address: str | None
    signed_in_at: datetime
    last_used_at: datetime
    current: bool

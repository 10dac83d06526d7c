"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
# argon2 copes with more, but nobody types it and it bounds the work per attempt; every password the API
# takes (users.schemas.Password) is capped at this before it reaches weakness() or argon2.
MAX_LENGTH = 256

# argon2id at OWASP's recommended floor (19 MiB, 2 passes, 1 lane): about 20-40 ms here. The library's
# defaults (64 MiB, 4 lanes) took ~250 ms of both cores per login on this 2-core machine. Older hashes are
# upgraded at the next successful login (needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Its own small pool: a burst of logins queues here instead of starving uploads and simulation in the CPU pool.
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="particula-argon2")
# Verified when the account does not exist, so a wrong login costs the same time either way.
_DUMMY_HASH = _hasher.hash("particula-timing-equaliser")


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("particula").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def weakness(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why a new password is refused, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    lowered = password.lower()
    if lowered in _common_passwords() or re.fullmatch(r"(.)\1*", lowered):
        return "is too common; choose something harder to guess"
    personal = {username.lower(), email.lower(), email.lower().partition("@")[0]} - {""}
    if lowered in personal:
        return "must not be your username or email"
    return None


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# argon2 costs ~50 ms of CPU by design: always in a worker thread, never on the event loop.


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True if password matches; a missing hash (OAuth-only account) never matches, in the same time."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

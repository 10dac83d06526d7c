"""One interface over the two stores: S3/MinIO (obstore S3Store) and the file store (obstore LocalStore)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import obstore
from obstore.store import LocalStore, S3Store

from particula.storage.keys import BUCKETS

if TYPE_CHECKING:  # typed dicts that exist only in obstore's stubs
    from obstore.store import ClientConfig, RetryConfig

SIGNED_URL_TTL = timedelta(minutes=15)
_RETRY: RetryConfig = {"max_retries": 2, "retry_timeout": timedelta(seconds=10)}


class StorageError(RuntimeError):
    """The object store could not do what was asked; the message says which store and why."""


class ObjectNotFound(StorageError):
    """No object at that bucket and key."""


@dataclass(frozen=True)
class S3Config:
    endpoint: str
    access_key: str | None
    secret_key: str | None
    region: str


class ObjectStore:
    """put/get/delete/exists and time-limited download URLs for the `scenes` and `avatars` buckets."""

    def __init__(self, stores: dict[str, Any], *, url_secret: bytes, s3: S3Config | None = None) -> None:
        self._stores = stores
        self._url_secret = url_secret
        self._s3 = s3

    @classmethod
    def local(cls, root: Path, *, url_secret: bytes) -> ObjectStore:
        """The file store: <root>/<bucket>/<key>, as in <data dir>/objects."""
        stores = {bucket: LocalStore(prefix=root / bucket, mkdir=True) for bucket in BUCKETS}
        return cls(stores, url_secret=url_secret)

    @classmethod
    def s3(cls, config: S3Config, *, url_secret: bytes) -> ObjectStore:
        options: ClientConfig = {
            "allow_http": config.endpoint.startswith("http://"),
            "connect_timeout": timedelta(seconds=3),
            "timeout": timedelta(seconds=30),
        }
        stores = {
            bucket: S3Store(
                bucket,
                endpoint=config.endpoint,
                access_key_id=config.access_key,
                secret_access_key=config.secret_key,
                region=config.region,
                virtual_hosted_style_request=False,
                client_options=options,
                retry_config=_RETRY,
            )
            for bucket in BUCKETS
        }
        return cls(stores, url_secret=url_secret, s3=config)

    @property
    def kind(self) -> str:
        return "s3" if self._s3 is not None else "file"

    def _store(self, bucket: str) -> Any:
        try:
            return self._stores[bucket]
        except KeyError:
            raise StorageError(f"unknown bucket {bucket!r}") from None

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str | None = None) -> None:
        attributes = {"Content-Type": content_type} if content_type and self._s3 else None
        try:
            await obstore.put_async(self._store(bucket), key, data, attributes=attributes)
        except OSError as error:
            raise StorageError(f"could not store {bucket}/{key}: {_first_line(error)}") from None

    async def get(self, bucket: str, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store(bucket), key)
            return bytes(await result.bytes_async())
        except FileNotFoundError:
            raise ObjectNotFound(f"{bucket}/{key} does not exist") from None
        except OSError as error:
            raise StorageError(f"could not read {bucket}/{key}: {_first_line(error)}") from None

    async def exists(self, bucket: str, key: str) -> bool:
        try:
            await obstore.head_async(self._store(bucket), key)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StorageError(f"could not look up {bucket}/{key}: {_first_line(error)}") from None
        return True

    async def delete(self, bucket: str, key: str) -> None:
        """Delete one object; deleting what is already gone is not an error."""
        try:
            await obstore.delete_async(self._store(bucket), key)
        except FileNotFoundError:
            return
        except OSError as error:
            raise StorageError(f"could not delete {bucket}/{key}: {_first_line(error)}") from None

    async def listing(self, bucket: str, prefix: str = "") -> list[tuple[str, datetime]]:
        """Every (key, last modified) under prefix."""
        try:
            return [
                (meta["path"], meta["last_modified"])
                async for batch in obstore.list(self._store(bucket), prefix=prefix or None)
                for meta in batch
            ]
        except OSError as error:
            raise StorageError(f"could not list {bucket}/{prefix}: {_first_line(error)}") from None

    async def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Delete every object whose key starts with prefix; returns how many."""
        keys = [key for key, _ in await self.listing(bucket, prefix)]
        for key in keys:
            await self.delete(bucket, key)
        return len(keys)

    async def download_url(self, bucket: str, key: str, *, expires_in: timedelta = SIGNED_URL_TTL) -> str:
        """A time-limited URL: presigned by S3/MinIO, or our own signed /objects URL on the file store."""
        if self._s3 is not None:
            return await obstore.sign_async(self._store(bucket), "GET", key, expires_in)
        expires = int(time.time() + expires_in.total_seconds())
        signature = self.url_signature(bucket, key, expires)
        return f"/api/v1/objects/{bucket}/{quote(key)}?expires={expires}&signature={signature}"

    def url_signature(self, bucket: str, key: str, expires: int) -> str:
        message = f"{bucket}\n{key}\n{expires}".encode()
        return hmac.new(self._url_secret, message, hashlib.sha256).hexdigest()

    def verify_url(self, bucket: str, key: str, expires: int, signature: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(self.url_signature(bucket, key, expires), signature)

    async def ensure_buckets(self) -> None:
        """Create the `scenes` and `avatars` buckets on S3/MinIO if missing (the file store makes folders)."""
        if self._s3 is None:
            return
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                for bucket in BUCKETS:
                    await self._ensure_bucket(client, bucket)
        except httpx.HTTPError as error:
            raise StorageError(f"S3 endpoint {self._s3.endpoint} is unreachable: {error}") from None

    async def _ensure_bucket(self, client: httpx.AsyncClient, bucket: str) -> None:
        store = self._stores[bucket]
        head = await obstore.sign_async(store, "HEAD", "", timedelta(minutes=1))
        if (await client.head(head)).status_code == 200:
            return
        # A presigned PUT on the bucket itself is S3's CreateBucket; no SDK needed.
        create = await obstore.sign_async(store, "PUT", "", timedelta(minutes=1))
        response = await client.put(create)
        if response.status_code not in (200, 409):  # 409: it appeared meanwhile, or is ours already
            raise StorageError(f"could not create bucket {bucket!r}: HTTP {response.status_code} {response.text[:200]}")

    async def check(self) -> None:
        """Raise StorageError unless every bucket answers (for /readyz and start-up)."""
        for bucket in BUCKETS:
            try:
                await asyncio.wait_for(self.exists(bucket, ".readyz"), timeout=3)
            except TimeoutError:
                raise StorageError(f"object store did not answer for bucket {bucket!r} within 3 s") from None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

"""Serves objects of the file store through time-limited signed URLs (S3/MinIO signs its own)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from particula.deps import StoreDep
from particula.errors import Problem
from particula.storage.keys import BUCKETS
from particula.storage.store import ObjectNotFound

router = APIRouter(prefix="/objects", tags=["objects"])

_CONTENT_TYPES = {".webp": "image/webp", ".bin": "application/octet-stream"}


@router.get("/{bucket}/{key:path}", name="objects.download", summary="Download an object by a signed URL")
async def download_object(
    bucket: str,
    key: str,
    store: StoreDep,
    expires: int = Query(),
    signature: str = Query(max_length=128),
) -> Response:
    if bucket not in BUCKETS or not store.verify_url(bucket, key, expires, signature):
        raise Problem(403, "This download link is invalid or has expired.", slug="bad-signature")
    try:
        data = await store.get(bucket, key)
    except ObjectNotFound:
        raise Problem(404, "This object no longer exists.") from None
    suffix = key[key.rfind(".") :] if "." in key else ""
    return Response(
        data,
        media_type=_CONTENT_TYPES.get(suffix, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=300"},
    )

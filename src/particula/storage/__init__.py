"""Object storage: the seed's buckets and key layout over obstore (S3/MinIO or the local file store)."""

from particula.storage.keys import AVATARS, BUCKETS, SCENES, avatar_key, scene_data_key, scene_thumbnail_key
from particula.storage.store import ObjectNotFound, ObjectStore, StorageError

__all__ = [
    "AVATARS",
    "BUCKETS",
    "SCENES",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "avatar_key",
    "scene_data_key",
    "scene_thumbnail_key",
]

"""Redis: one key builder per seed key, their TTLs, and small typed helpers over redis-py's asyncio client."""

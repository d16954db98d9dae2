"""The tool's two caches, never the only copy of anything (losing an entry costs a refetch):

- the shared cache, seen by every worker: Redis when REDIS_URL is set, else a database table. It holds what is
  expensive to fetch and safe to share (platform key sets, service access tokens);
- `local_cache()`: what one process keeps for seconds to spare a read of the shared cache or the database on
  every request (cachelib's SimpleCache: each entry with its time to live, a size bound). `clear_local_caches()`
  empties them all, for tests.
"""
from __future__ import annotations

import json
import weakref
from datetime import timedelta
from typing import Any

from cachelib import SimpleCache
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from models import CacheEntry, db, utcnow


class DatabaseCache:
    """Each operation in its own short transaction: a cache write must not hold locks for the length of the
    caller's request (on SQLite a write lock blocks every other writer) nor roll back with it."""

    table = CacheEntry.__table__

    def get(self, key: str) -> Any | None:
        with db.engine.connect() as connection:
            row = connection.execute(select(self.table.c.value).where(
                self.table.c.key == key, self.table.c.expires_at > utcnow())).first()
        return row[0] if row else None

    def set(self, key: str, value: Any, ttl: int) -> None:
        expires_at = utcnow() + timedelta(seconds=ttl)
        with db.engine.begin() as connection:
            updated = connection.execute(update(self.table).where(self.table.c.key == key)
                                         .values(value=value, expires_at=expires_at)).rowcount
            if not updated:
                try:
                    with connection.begin_nested():
                        connection.execute(insert(self.table).values(key=key, value=value, expires_at=expires_at))
                except IntegrityError:
                    pass  # a concurrent writer stored it first: equally fresh

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Set only if absent (or expired): True when this caller won."""
        now = utcnow()
        with db.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key, self.table.c.expires_at <= now))
            try:
                with connection.begin_nested():
                    connection.execute(insert(self.table).values(key=key, value=value,
                                                                 expires_at=now + timedelta(seconds=ttl)))
            except IntegrityError:
                return False
        return True

    def delete(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))


class RedisCache:
    def __init__(self, url: str, prefix: str = "lti_tool:"):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self.client.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int) -> None:
        self.client.set(self.prefix + key, json.dumps(value), ex=max(1, int(ttl)))

    def add(self, key: str, value: Any, ttl: int) -> bool:
        return bool(self.client.set(self.prefix + key, json.dumps(value), ex=max(1, int(ttl)), nx=True))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def make_cache(redis_url: str | None):
    return RedisCache(redis_url) if redis_url else DatabaseCache()


_local_caches: weakref.WeakSet[SimpleCache] = weakref.WeakSet()


def local_cache(size: int = 500) -> SimpleCache:
    """A per-process cache; give every entry a short `timeout` in seconds, above 0 (cachelib's 0 means forever):
    other workers do not see it."""
    cache = SimpleCache(threshold=size)
    _local_caches.add(cache)
    return cache


def clear_local_caches() -> None:
    for cache in list(_local_caches):
        cache.clear()

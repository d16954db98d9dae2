"""A small cache shared by every worker: Redis when REDIS_URL is set, else a database table.

Holds what is expensive to fetch and safe to share (platform JWKS, service access tokens). Never the only copy
of anything: losing it costs a refetch.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from models import CacheEntry, db, utcnow


class DatabaseCache:
    def get(self, key: str) -> Any | None:
        entry = db.session.scalars(
            select(CacheEntry).where(CacheEntry.key == key, CacheEntry.expires_at > utcnow())
        ).first()
        return entry.value if entry else None

    def set(self, key: str, value: Any, ttl: int) -> None:
        entry = db.session.get(CacheEntry, key)
        expires_at = utcnow() + timedelta(seconds=ttl)
        if entry is None:
            db.session.add(CacheEntry(key=key, value=value, expires_at=expires_at))
        else:
            entry.value, entry.expires_at = value, expires_at
        db.session.flush()

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Set only if absent (or expired): True when this caller won."""
        now = utcnow()
        db.session.execute(delete(CacheEntry).where(CacheEntry.key == key, CacheEntry.expires_at <= now))
        try:
            with db.session.begin_nested():
                db.session.add(CacheEntry(key=key, value=value, expires_at=now + timedelta(seconds=ttl)))
        except IntegrityError:
            return False
        return True

    def delete(self, key: str) -> None:
        db.session.execute(delete(CacheEntry).where(CacheEntry.key == key))


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

"""Services tested without HTTP: role mapping, single-use launch state under concurrency, the shared caches."""
import uuid

import pytest

from lti_tool.errors import LaunchRefused
from lti_tool.services import launch_state
from lti_tool.services.cache import DatabaseCache, RedisCache
from lti_tool.services.launches import map_role
from models import db
from tests.fixtures.concurrency import at_once

VOCAB = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize("roles, expected", [
    ([VOCAB + "membership#Learner"], "learner"),
    ([VOCAB + "membership#Instructor"], "instructor"),
    ([VOCAB + "membership/Instructor#TeachingAssistant"], "instructor"),
    ([VOCAB + "membership#Instructor", VOCAB + "institution/person#Administrator",
      VOCAB + "system/person#Administrator"], "administrator"),
    ([VOCAB + "membership#Mentor"], "learner"),
    (["Instructor"], "instructor"),
    ([], "learner"),
])
def test_map_role(roles, expected):
    assert map_role(roles) == expected


def test_state_is_consumed_once_even_by_concurrent_launches(app):
    state, nonce = f"state-{uuid.uuid4()}", uuid.uuid4().hex
    with app.app_context():
        launch_state.issue(state, nonce, 1, 600)
        db.session.commit()
    outcomes = []

    def consume():
        with app.app_context():
            try:
                launch_state.consume(state, nonce, 1)
                db.session.commit()
                outcomes.append("ok")
            except LaunchRefused as error:
                db.session.rollback()
                outcomes.append(error.code)
            except Exception as error:  # SQLite may time out a writer: that is a refusal too
                db.session.rollback()
                outcomes.append(type(error).__name__)

    at_once(*[consume] * 8)
    assert outcomes.count("ok") == 1, outcomes


@pytest.fixture(params=["database", "redis"])
def cache(request, app):
    if request.param == "database":
        yield DatabaseCache()
        return
    redis_cache = RedisCache("redis://127.0.0.1:6379/15", prefix=f"test-{uuid.uuid4().hex}:")
    try:
        redis_cache.client.ping()
    except Exception:
        pytest.fail("Redis is expected on 127.0.0.1:6379 (see README: machine services)")
    yield redis_cache
    for key in redis_cache.client.scan_iter(redis_cache.prefix + "*"):
        redis_cache.client.delete(key)


def test_cache_get_set_add_delete(cache, app):
    with app.app_context():
        assert cache.get("k") is None
        cache.set("k", {"keys": [1]}, 60)
        assert cache.get("k") == {"keys": [1]}
        assert cache.add("once", 1, 60) is True
        assert cache.add("once", 1, 60) is False
        cache.delete("k")
        assert cache.get("k") is None


def test_cache_entries_expire(cache, app):
    with app.app_context():
        cache.set("short", "x", 1)
        import time
        time.sleep(1.1)
        assert cache.get("short") is None
        assert cache.add("short", "y", 60) is True

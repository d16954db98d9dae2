"""Platform keys: fetched once and cached, refetched once (rate-limited) when an unknown kid arrives."""
import logging
from pathlib import Path

import pytest

from lti_tool.demo_platform.simulator import PlatformSimulator, generate_private_key_pem


def jwks_fetches(caplog):
    return sum("GET /demo/moodle-a/jwks" in record.getMessage() for record in caplog.records)


@pytest.fixture
def rotate_platform_key(app, lti):
    """The demo site rotates its key (as Moodle can): new private key file, new kid."""
    path = Path(app.instance_path) / "demo_platform" / "moodle-a.pem"
    old = path.read_text()

    def rotate():
        path.write_text(generate_private_key_pem())
        p = lti.platform
        return PlatformSimulator(issuer=p.issuer, client_id=p.client_id, deployment_id=p.deployment_id,
                                 private_pem=path.read_text())

    yield rotate
    path.write_text(old)


def test_keys_are_fetched_once_for_many_launches(lti, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for _ in range(3):
        assert lti.launch().status_code == 303
    assert jwks_fetches(caplog) == 1


def test_keys_come_from_the_shared_cache_in_a_fresh_worker(lti, app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    assert lti.launch().status_code == 303
    app.extensions["lti_platform_keys"].recent.clear()  # as if another worker served the next launch
    assert lti.launch().status_code == 303
    assert jwks_fetches(caplog) == 1


def test_platform_key_rotation_is_followed_with_one_refetch(lti, rotate_platform_key, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    assert lti.launch().status_code == 303  # caches the old key set
    rotated = rotate_platform_key()
    assert lti.launch(platform=rotated).status_code == 303  # unknown kid -> one refetch
    assert jwks_fetches(caplog) == 2


def test_unknown_kids_do_not_hammer_the_platform(lti, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    assert lti.launch().status_code == 303
    for _ in range(3):
        response = lti.launch(sign=lambda claims: lti.platform.sign(claims, kid="forged"))
        assert response.status_code == 400 and "unknown_kid" in response.text
    assert jwks_fetches(caplog) == 2  # the first unknown kid refetches, the next ones wait


def test_rotation_seen_by_one_worker_serves_the_others(lti, app, rotate_platform_key, caplog):
    """Worker 1 refetches after the platform rotated; worker 2 (stale memo) reads the shared cache."""
    from lti_tool.services.platform_keys import PlatformKeys

    caplog.set_level(logging.INFO, logger="werkzeug")
    assert lti.launch().status_code == 303  # both "workers" know the old keys
    worker_1 = app.extensions["lti_platform_keys"]
    worker_2 = PlatformKeys(worker_1.cache, cache_seconds=3600, refetch_interval=30, timeout=5)
    worker_2.recent.set(lti.platform.key_set_url, worker_1.recent.get(lti.platform.key_set_url), timeout=60)
    rotated = rotate_platform_key()
    assert lti.launch(platform=rotated).status_code == 303  # worker 1 refetches
    app.extensions["lti_platform_keys"] = worker_2
    try:
        assert lti.launch(platform=rotated).status_code == 303  # worker 2: no 400, no extra fetch
    finally:
        app.extensions["lti_platform_keys"] = worker_1
    assert jwks_fetches(caplog) == 2


def test_without_cache_time_no_worker_keeps_the_keys(app):
    """LTI_JWKS_CACHE_SECONDS = 0 asks for no caching: the process keeps nothing either (for cachelib, 0 would
    mean forever, and a removed key would be accepted until the worker restarts)."""
    from lti_tool.services.platform_keys import PlatformKeys

    keys = PlatformKeys(app.extensions["lti_cache"], cache_seconds=0, refetch_interval=30, timeout=5)
    keys._remember("https://moodle.example/certs", {"keys": []})
    assert keys.recent.get("https://moodle.example/certs") is None
    keys = PlatformKeys(app.extensions["lti_cache"], cache_seconds=3600, refetch_interval=30, timeout=5)
    keys._remember("https://moodle.example/certs", {"keys": []})
    assert keys.recent.get("https://moodle.example/certs") == {"keys": []}

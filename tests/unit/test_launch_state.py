"""The signed OIDC state, without HTTP: what it carries, and that it is redeemed once, by one registration, in time."""
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lti_tool.errors import LaunchRefused
from lti_tool.services import launch_state
from models import LaunchState, db
from tests.fixtures.concurrency import at_once

SECRET = "a-secret-key"
LIFETIME = 600


def redeem(app, issued, *, nonce=None, platform_id=1, secret=SECRET, now=None):
    """Verify, then spend in a transaction, as a launch does; returns "ok" or the reason code."""
    with app.app_context():
        try:
            redemption = launch_state.verify(secret, issued.state, issued.nonce if nonce is None else nonce,
                                             platform_id, LIFETIME, now=now)
            with db.engine.begin() as connection:
                launch_state.spend(connection, redemption)
            return "ok"
        except LaunchRefused as error:
            return error.code


def test_a_state_is_redeemed_once(app):
    issued = launch_state.new_state(SECRET, 1)
    assert redeem(app, issued) == "ok"
    assert redeem(app, issued) == "replayed_launch"
    with app.app_context():
        row = db.session.get(LaunchState, issued.state)
        assert (row.nonce, row.platform_id) == (issued.nonce, 1) and row.used_at is not None


def test_each_login_has_its_own_state_and_nonce():
    first, second = launch_state.new_state(SECRET, 1), launch_state.new_state(SECRET, 1)
    assert first.state != second.state and first.nonce != second.nonce
    assert len(first.state) <= 100  # the launch_state.state column


def test_a_tampered_state_is_unknown():
    issued = launch_state.new_state(SECRET, 1)
    nonce, platform, issued_at, signature = issued.state.split(".")
    for forged in (f"{nonce}.2.{issued_at}.{signature}",            # another registration
                   f"{nonce}.1.{int(issued_at) + 3600}.{signature}",  # a later time of issue
                   f"{nonce}.{platform}.{issued_at}.{signature[:-2]}AA",
                   f"{nonce}.{platform}.{issued_at}", "state-made-up", ""):
        with pytest.raises(launch_state.UnsignedState):
            launch_state.verify(SECRET, forged, nonce, 1, LIFETIME)


def test_a_state_signed_with_another_key_is_unknown(app):
    issued = launch_state.new_state("another-deployment's-key", 1)
    assert redeem(app, issued) == "unknown_state"


def test_the_nonce_must_be_the_one_issued_with_the_state(app):
    issued, other = launch_state.new_state(SECRET, 1), launch_state.new_state(SECRET, 1)
    assert redeem(app, issued, nonce=other.nonce) == "nonce_mismatch"
    assert redeem(app, issued) == "ok"  # the refusal spent nothing


def test_a_state_serves_only_the_registration_that_issued_it(app):
    issued = launch_state.new_state(SECRET, 1)
    assert redeem(app, issued, platform_id=2) == "wrong_issuer"
    assert redeem(app, issued, platform_id=1) == "ok"


def test_a_state_expires(app):
    issued = launch_state.new_state(SECRET, 1, now=time.time() - LIFETIME - 1)
    assert redeem(app, issued) == "state_expired"
    recent = launch_state.new_state(SECRET, 1, now=time.time() - LIFETIME + 5)
    assert redeem(app, recent) == "ok"


def test_a_nonce_is_single_use_even_under_another_state(app):
    """The nonce column is unique too: a second row with the same nonce is a replay."""
    issued = launch_state.new_state(SECRET, 1)
    assert redeem(app, issued) == "ok"
    same_nonce = launch_state.IssuedState(
        launch_state.signer(SECRET).sign(f"{issued.nonce}.1.{int(time.time()) - 1}").decode(), issued.nonce)
    assert same_nonce.state != issued.state
    assert redeem(app, same_nonce) == "replayed_launch"


def test_a_state_stored_by_the_previous_release_is_spent_once(app):
    with app.app_context():
        launch_state.issue("state-stored", "nonce-stored", 1, LIFETIME)
        db.session.commit()
        for expected in (None, "replayed_launch"):
            try:
                with db.engine.begin() as connection:
                    launch_state.spend(connection, launch_state.stored("state-stored", "nonce-stored", 1))
                outcome = None
            except LaunchRefused as error:
                outcome = error.code
            assert outcome == expected


def test_concurrent_launches_with_one_state_redeem_it_once(app):
    issued = launch_state.new_state(SECRET, 1)
    outcomes = []

    def attempt():
        try:
            outcomes.append(redeem(app, issued))
        except Exception as error:  # SQLite may time out a writer: that is a refusal too
            outcomes.append(type(error).__name__)

    at_once(*[attempt] * 8)
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LaunchState)) == 1


def test_expired_rows_are_purged(app, monkeypatch):
    monkeypatch.setattr(launch_state, "random", SimpleNamespace(random=lambda: 0.0))  # purge on every redeem
    then = time.time() - LIFETIME - 100
    assert redeem(app, launch_state.new_state(SECRET, 1, now=then), now=then + 1) == "ok"  # long expired now
    assert redeem(app, launch_state.new_state(SECRET, 1)) == "ok"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LaunchState)) == 1


def test_a_state_signed_before_a_key_rotation_is_still_accepted(app):
    before = launch_state.new_state("old-key", 1)
    assert redeem(app, before, secret=("old-key", SECRET)) == "ok"  # the old key is now a fallback
    after = launch_state.new_state(("old-key", SECRET), 1)
    assert redeem(app, after, secret=SECRET) == "ok"  # new states are signed with the current key
    assert redeem(app, launch_state.new_state("old-key", 1), secret=SECRET) == "unknown_state"

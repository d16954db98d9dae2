"""Outbound HTTP (services/http.py): a total deadline against a real trickling server, a size cap, no redirects,
public addresses only."""
from __future__ import annotations

import time

import pytest
import requests

from lti_tool.services.http import (AddressRefused, DeadlineExceeded, OutboundSession, ResponseTooLarge,
                                    is_public_host, is_public_ip)
from lti_tool.services.moodle_ws import MoodleClient, MoodleError
from tests.fixtures.slow_http import slow_server as server  # noqa: F401 - a fixture


def test_a_trickling_body_is_cut_at_the_total_deadline(server):
    started = time.monotonic()
    with OutboundSession(1.0, allow_private=True) as session, pytest.raises(DeadlineExceeded):
        session.get(f"{server}/trickle-body")
    assert time.monotonic() - started < 2.0


def test_trickling_headers_are_cut_at_the_total_deadline(server):
    started = time.monotonic()
    with OutboundSession(1.0, allow_private=True) as session, pytest.raises(requests.Timeout):
        session.get(f"{server}/trickle-headers")
    assert time.monotonic() - started < 2.0


def test_a_normal_answer_reads_as_usual_and_the_connection_is_reused(server):
    with OutboundSession(2.0, allow_private=True) as session:
        for _ in range(3):
            response = session.get(f"{server}/ok")
            assert response.status_code == 200 and response.json()["path"] == "/ok"
            assert response.content == response.content  # readable twice (buffered)


def test_the_size_cap_applies_with_and_without_content_length(server):
    with OutboundSession(2.0, allow_private=True, max_bytes=2048) as session:
        with pytest.raises(ResponseTooLarge):
            session.get(f"{server}/big")
        with pytest.raises(ResponseTooLarge):
            session.get(f"{server}/big-chunked")


def test_redirects_are_never_followed(server):
    with OutboundSession(2.0, allow_private=True) as session:
        response = session.get(f"{server}/redirect", allow_redirects=True)  # asked for, not granted
    assert response.status_code == 302


@pytest.mark.parametrize("url", ["https://100.100.100.200/latest/meta-data/", "https://100.64.0.1/",
                                 "https://127.0.0.1/", "https://10.0.0.5/", "https://169.254.169.254/",
                                 "https://[::1]/", "https://[::ffff:10.0.0.1]/", "https://localhost/"])
def test_private_and_shared_addresses_are_refused(url):
    started = time.monotonic()
    with OutboundSession(2.0, allow_private=False) as session, pytest.raises(AddressRefused):
        session.get(url)
    assert time.monotonic() - started < 1.0  # refused before any connection attempt


def test_plain_http_is_refused_outside_development():
    with OutboundSession(2.0, allow_private=False) as session, pytest.raises(AddressRefused):
        session.get("http://93.184.216.34/")


def test_the_address_check_uses_is_global():
    assert not is_public_ip("100.100.100.200") and not is_public_ip("100.64.0.1")
    assert not is_public_ip("192.168.1.1") and not is_public_ip("fe80::1")
    assert is_public_ip("93.184.216.34")
    assert not is_public_host("127.0.0.1")


def test_the_escape_hatch_follows_the_app_config(app, server):
    """Without an explicit choice the session follows LTI_ALLOW_HTTP_PLATFORMS (on in the tests)."""
    with OutboundSession(2.0) as session:
        with app.app_context():
            assert session.get(f"{server}/ok").status_code == 200
        with pytest.raises(AddressRefused):  # outside an app: refused
            session.get(f"{server}/ok")


def test_a_trickling_moodle_is_unavailable_at_the_deadline(server):
    client = MoodleClient(f"{server}/trickle-body", "t", timeout=1, allow_private=True)
    started = time.monotonic()
    with pytest.raises(MoodleError) as failed:
        client.call("core_webservice_get_site_info")
    client.close()
    assert failed.value.code == "unavailable" and time.monotonic() - started < 2.0


def test_the_connected_address_is_checked_again(server, monkeypatch):
    """A name that resolved to a public address for the check, then to a private one for the connection (DNS
    rebinding), is refused on the connected socket, before anything is sent."""
    from tests.fixtures.slow_http import received

    monkeypatch.setattr(OutboundSession, "_check_target", lambda self, url, allow_private: False)
    before = len(received(server))
    with OutboundSession(2.0, allow_private=False) as session, pytest.raises(AddressRefused):
        session.get(f"{server}/ok", headers={"Authorization": "Bearer secret"})
    assert received(server)[before:] == []

"""Every outbound HTTP call of the tool (platform keys, OAuth tokens, AGS, NRPS, Moodle web services, dynamic
registration) goes through `OutboundSession`, which gives each call:

- a TOTAL deadline: a watchdog shuts the socket down when it passes, so a server trickling a byte every few
  seconds (in its headers or its body) is cut there, instead of holding a worker as long as it likes (requests'
  timeout is per read);
- a size cap on the (decompressed) body;
- no redirects followed (a 3xx is returned as it is: the callers treat it as a failure);
- only globally routable addresses (`ipaddress.is_global`: no loopback, private, link-local, 100.64.0.0/10
  shared space such as a cloud metadata service at 100.100.100.200), checked before connecting and again on the
  connected socket (a name that resolves to a private address the second time is refused too).
  `LTI_ALLOW_HTTP_PLATFORMS` (development, tests with the demo platform on 127.0.0.1) lifts the address check
  and allows http.

Failures are `requests.RequestException` subclasses, which every caller already handles.
"""
from __future__ import annotations

import io
import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

USER_AGENT = "parcours-hybrides-lti/0.1"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


class DeadlineExceeded(requests.Timeout):
    """The whole call (connect, headers, body) took longer than the deadline."""


class ResponseTooLarge(requests.RequestException):
    pass


class AddressRefused(requests.ConnectionError):
    """The URL is not https, or its host is not a public address."""


class _PeerRefused(Exception):
    # Not an OSError: urllib3 would retry it as a connection error and hide it.
    pass


def is_public_ip(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_public_host(host: str) -> bool:
    """True when the host resolves, and only to globally routable addresses."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError, ValueError):
        return False
    return bool(addresses) and all(is_public_ip(address) for address in addresses)


class _Guard:
    """One call's deadline: the sockets it uses are shut down when the deadline passes."""

    def __init__(self, seconds: float, check_peer: bool):
        self.deadline = time.monotonic() + seconds
        self.check_peer = check_peer
        self.fired = False
        self._sockets: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes up a read blocked on this socket in another thread
    except (OSError, AttributeError, ValueError):
        pass


_current = threading.local()  # the guard of the call running in this thread


class _GuardedConnection:
    """urllib3 connection that registers its socket with the current call's guard."""

    def connect(self):
        super().connect()
        guard = getattr(_current, "guard", None)
        if guard is not None:
            guard.watch(self.sock)
            if guard.check_peer:
                peer = self.sock.getpeername()[0]
                if not is_public_ip(peer):
                    self.close()
                    raise _PeerRefused(f"connected to a non-public address {peer}")

    def request(self, *args, **kwargs):
        guard = getattr(_current, "guard", None)
        if guard is not None:
            guard.watch(self.sock)  # a kept-alive connection: its socket is this call's now
        return super().request(*args, **kwargs)

    def getresponse(self):
        guard = getattr(_current, "guard", None)
        if guard is not None:
            guard.watch(self.sock)
        return super().getresponse()


class _HTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager


def allow_private_from_config() -> bool:
    """The development escape hatch (LTI_ALLOW_HTTP_PLATFORMS) of the running app; False outside one."""
    from flask import current_app, has_app_context

    return bool(has_app_context() and current_app.config.get("LTI_ALLOW_HTTP_PLATFORMS"))


class OutboundSession(requests.Session):
    """A requests session whose every call has a total deadline, a size cap, no redirects and public hosts only.

    `allow_private=None` follows `LTI_ALLOW_HTTP_PLATFORMS` of the app running the call (False outside one).
    """

    def __init__(self, timeout: float, *, max_bytes: int | None = None, allow_private: bool | None = None,
                 pool_size: int = 10):
        super().__init__()
        self.timeout = float(timeout)
        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.allow_private = allow_private
        self.headers["User-Agent"] = USER_AGENT
        adapter = _GuardedAdapter(pool_connections=4, pool_maxsize=max(1, pool_size))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):
        allow_private = self.allow_private if self.allow_private is not None else allow_private_from_config()
        proxied = self._check_target(str(url), allow_private)
        kwargs["timeout"] = (self.timeout, self.timeout)  # per read; the guard bounds the whole call
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        previous = getattr(_current, "guard", None)
        with _Guard(self.timeout, check_peer=not allow_private and not proxied) as guard:
            _current.guard = guard
            try:
                response = super().request(method, url, *args, **kwargs)
                try:
                    body = self._read(response, url)
                finally:
                    response.close()
                if guard.fired:  # a shut socket can look like the end of a body without a length
                    raise DeadlineExceeded(f"{url}: no complete answer within {self.timeout:g} s")
            except _PeerRefused as error:
                raise AddressRefused(f"{url}: {error}") from None
            except (DeadlineExceeded, ResponseTooLarge):
                raise
            except Exception as error:
                if guard.fired:
                    raise DeadlineExceeded(f"{url}: no complete answer within {self.timeout:g} s") from error
                raise
            finally:
                _current.guard = previous
        return _buffered(response, body)

    def _check_target(self, url: str, allow_private: bool) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in (("https", "http") if allow_private else ("https",)) or not parts.hostname:
            raise AddressRefused(f"not an {'http(s)' if allow_private else 'https'} URL: {url[:200]!r}")
        proxied = bool(self.proxies) or (self.trust_env and bool(requests.utils.get_environ_proxies(url)))
        if not allow_private and not is_public_host(parts.hostname):
            raise AddressRefused(f"{parts.hostname} is not a public address")
        return proxied

    def _read(self, response: requests.Response, url: str) -> bytes:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise ResponseTooLarge(f"{url}: answer of {length} bytes (at most {self.max_bytes})")
        chunks, size = [], 0
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(f"{url}: answer larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _buffered(streamed: requests.Response, body: bytes) -> requests.Response:
    """A response carrying the body already read (through `raw`, requests' public way to give it one)."""
    response = requests.Response()
    response.status_code, response.reason, response.url = streamed.status_code, streamed.reason, streamed.url
    response.headers, response.encoding, response.history = streamed.headers, streamed.encoding, streamed.history
    response.cookies, response.elapsed, response.request = streamed.cookies, streamed.elapsed, streamed.request
    response.raw = io.BytesIO(body)
    return response


TimeoutSession = OutboundSession  # the name grades.py and earlier code use

"""HTTP to platforms: always with a timeout, never following redirects to somewhere unexpected."""
from __future__ import annotations

import requests

USER_AGENT = "parcours-hybrides-lti/0.1"


class TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(*args, **kwargs)

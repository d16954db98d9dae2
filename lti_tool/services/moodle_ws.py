"""A client of Moodle's REST web services (`/webservice/rest/server.php`), and what its answers mean.

Moodle answers most failures with HTTP 200 and a JSON `{"exception", "errorcode", "message"}`: they are turned
into a MoodleError whose `code` the pages explain in plain words. No database access here: the calls run in
worker threads during a sync.
"""
from __future__ import annotations

import re
from typing import Any

import requests

from .http import OutboundSession, allow_private_from_config

SITE_INFO = "core_webservice_get_site_info"
COURSE_CONTENTS = "core_course_get_contents"
COMPLETION_STATUS = "core_completion_get_activities_completion_status"
SCORMS_BY_COURSES = "mod_scorm_get_scorms_by_courses"
SCORM_SCOES = "mod_scorm_get_scorm_scoes"
SCORM_TRACKS = "mod_scorm_get_scorm_sco_tracks"
REQUIRED_FUNCTIONS = (SITE_INFO, COURSE_CONTENTS, COMPLETION_STATUS)
SCORM_FUNCTIONS = (SCORMS_BY_COURSES, SCORM_SCOES, SCORM_TRACKS)  # optional: time spent in SCORM packages

# Moodle error codes, grouped by what the administrator or instructor has to do about them.
ERROR_CODES = {
    "invalidtoken": "invalid_token", "invalidtokensession": "invalid_token", "usernotfound": "invalid_token",
    "accessexception": "function_not_allowed", "servicenotavailable": "function_not_allowed",
    "nopermissions": "no_permission", "requireloginerror": "no_permission", "cannotviewreport": "no_permission",
    "accessdenied": "no_permission", "notingroup": "no_permission",
    "invalidrecord": "not_found", "cannotfindsco": "not_found", "invalidcoursemodule": "not_found",
    "nottracked": "not_tracked", "usernotenroled": "not_tracked", "notenroled": "not_tracked",
}
MAX_ANSWER_BYTES = 20 * 1024 * 1024  # a large course's contents are a few megabytes
# Failures that concern the whole connection: a sync stops at the first one instead of repeating it.
FATAL_CODES = {"invalid_token", "function_not_allowed", "no_permission", "unavailable", "bad_answer", "moodle_error",
               "not_connected", "token_unreadable"}


class MoodleError(RuntimeError):
    def __init__(self, code: str, detail: str = "", function: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.function = code, detail[:500], function

    @property
    def fatal(self) -> bool:
        return self.code in FATAL_CODES


def flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Moodle's PHP array notation: {"courseids": [11]} → courseids[0]=11; booleans as 1/0."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs.extend(flatten(value, name))
        elif isinstance(value, (list, tuple)):
            pairs.extend(flatten(dict(enumerate(value)), name))
        elif isinstance(value, bool):
            pairs.append((name, "1" if value else "0"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


class MoodleClient:
    def __init__(self, rest_url: str, token: str, *, timeout: float = 10, pool_size: int = 1,
                 max_bytes: int = MAX_ANSWER_BYTES, allow_private: bool | None = None):
        self.rest_url, self._token, self.timeout = rest_url, token, timeout
        # The calls run in worker threads without the app: the address rule is decided here, once.
        self.http = OutboundSession(timeout, max_bytes=max_bytes, pool_size=pool_size,
                                    allow_private=allow_private_from_config() if allow_private is None else allow_private)

    def call(self, function: str, **params: Any) -> Any:
        data = [("wstoken", self._token), ("wsfunction", function), ("moodlewsrestformat", "json"),
                *flatten(params)]
        try:
            response = self.http.post(self.rest_url, data=data)  # total deadline, size cap, no redirects
        except requests.Timeout as error:
            raise MoodleError("unavailable", f"no answer within {self.timeout:g} s", function) from error
        except requests.RequestException as error:
            raise MoodleError("unavailable", str(error)[:300], function) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise MoodleError("unavailable", f"HTTP {response.status_code}", function)
        if response.status_code != 200:  # 404: wrong URL; 30x: web services off, or a login page
            raise MoodleError("bad_answer", f"HTTP {response.status_code} from {self.rest_url}", function)
        try:
            answer = response.json()
        except ValueError as error:
            raise MoodleError("bad_answer", "the answer is not JSON (are web services and the REST protocol "
                                            "enabled?)", function) from error
        if isinstance(answer, dict) and "exception" in answer and "errorcode" in answer:
            errorcode = str(answer.get("errorcode"))
            detail = f"{errorcode}: {answer.get('message') or ''}".strip()
            if answer.get("debuginfo"):
                detail += f" ({answer['debuginfo']})"
            raise MoodleError(ERROR_CODES.get(errorcode, "moodle_error"), detail, function)
        return answer

    def close(self) -> None:
        self.http.close()


_SCORM12_TIME = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})(?:\.\d+)?$")
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_seconds(value: str) -> int:
    """SCORM 1.2 `HHHH:MM:SS.SS` or SCORM 2004 `PT1H2M3.5S` to whole seconds (0 when unreadable)."""
    value = (value or "").strip()
    match = _SCORM12_TIME.match(value)
    if match:
        hours, minutes, seconds = (int(part) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    match = _ISO_DURATION.match(value)
    if match and value not in ("P", "PT"):
        days, hours, minutes, seconds = match.groups()
        return int(int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0))
    return 0


def tracks_total_seconds(answer: Any) -> int:
    """Total time of one SCO's tracks (`mod_scorm_get_scorm_sco_tracks`), whichever SCORM version wrote it."""
    tracks = ((answer or {}).get("data") or {}).get("tracks") or [] if isinstance(answer, dict) else []
    values = {str(track.get("element")): str(track.get("value") or "") for track in tracks if isinstance(track, dict)}
    for element in ("cmi.core.total_time", "cmi.total_time", "total_time"):
        if values.get(element):
            return duration_seconds(values[element])
    return 0

"""Moodle's REST web services on the demo sites (`/webservice/rest/server.php`), answering as Moodle 4.5 does for
the functions the tool calls to read a course's activities, completion and SCORM time; and the demo page where
a learner marks activities complete.

What Moodle does and the demo copies: errors are HTTP 200 with `{"exception", "errorcode", "message"}`; the
token is checked first, then whether the function exists, then whether the token's service allows it, then the
parameters (PHP array notation, unexpected keys refused); `moodlewsrestformat` other than `json` gets XML.
A token is an HMAC of the site and a profile ("full" or "basic", two external services); it can be revoked.
Modules can be "deleted" (a switch in the shared cache): they disappear from every function.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from flask import Response, abort, current_app, has_request_context, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import db, utcnow

from .models import DemoCompletion
from .mail import send_instant_messages
from .moodle_catalog import CATALOG, DemoModule, DemoSection, find_module
from .simulator import DEMO_COURSES, DEMO_USERS, find_course, find_user
from .sites import SITES, base_url
from .views import bp, simulated_network

MOODLE_VERSION = "2024100700"
MOODLE_RELEASE = "4.5 (Build: 20241007)"
SWITCH_TTL = 24 * 3600

FULL_FUNCTIONS = (
    "core_webservice_get_site_info",
    "core_course_get_contents",
    "core_completion_get_activities_completion_status",
    "mod_scorm_get_scorms_by_courses",
    "mod_scorm_get_scorm_scoes",
    "mod_scorm_get_scorm_sco_tracks",
    "core_message_send_instant_messages",
)
PROFILES: dict[str, tuple[str, ...]] = {
    "full": FULL_FUNCTIONS,
    "basic": ("core_webservice_get_site_info", "core_course_get_contents"),
}
# Functions that exist in Moodle 4.5 but that neither demo service includes: "Access control exception".
OTHER_MOODLE_FUNCTIONS = frozenset({
    "core_completion_get_course_completion_status", "core_completion_update_activity_completion_status_manually",
    "core_completion_override_activity_completion_status", "core_completion_mark_course_self_completed",
    "core_course_get_courses", "core_course_get_courses_by_field", "core_course_get_course_module",
    "core_course_get_course_module_by_instance", "core_course_search_courses", "core_course_get_categories",
    "core_enrol_get_enrolled_users", "core_enrol_get_users_courses", "core_user_get_users_by_field",
    "core_user_get_users", "core_grades_get_grades", "gradereport_user_get_grade_items",
    "mod_scorm_get_scorm_attempt_count", "mod_scorm_get_scorm_user_data", "mod_scorm_insert_scorm_tracks",
    "mod_scorm_view_scorm", "mod_scorm_get_scorm_access_information", "mod_h5pactivity_get_attempts",
    "mod_quiz_get_user_attempts", "mod_quiz_get_quizzes_by_courses", "mod_lti_get_tool_types",
    "core_webservice_get_site_info_by_field",
})

MOD_PLURALS = {  # as a French-speaking web service user reads them
    "forum": "Forums", "page": "Pages", "scorm": "Paquetages SCORM", "h5p": "H5P", "h5pactivity": "H5P",
    "quiz": "Tests", "url": "URL", "resource": "Fichiers", "lesson": "Leçons", "assign": "Devoirs",
    "feedback": "Feedbacks",
}
MOD_LABELS = {
    "forum": "Forum", "page": "Page", "scorm": "Paquetage SCORM", "h5p": "H5P", "h5pactivity": "H5P",
    "quiz": "Test", "url": "URL", "resource": "Fichier", "lesson": "Leçon", "assign": "Devoir",
    "feedback": "Feedback",
}
TRACKING_LABELS = {0: "sans suivi", 1: "Achèvement manuel", 2: "Achèvement automatique"}


class MoodleError(Exception):
    def __init__(self, exception: str, errorcode: str, message: str):
        super().__init__(message)
        self.exception, self.errorcode, self.message = exception, errorcode, message


def invalid_parameter() -> MoodleError:
    return MoodleError("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected")


def missing_record(table: str) -> MoodleError:
    return MoodleError("dml_missing_record_exception", "invalidrecord",
                       f"Can't find data record in database table {table}.")


# -- tokens and switches ----------------------------------------------------------------------------------
def ws_token(site: str, profile: str) -> str:
    """The demo site's web service token for a profile ("full" or "basic"). Needs an app context."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, f"demo-ws:{site}:{profile}".encode(), hashlib.sha256).hexdigest()[:32]


def _revoked_key(site: str, profile: str) -> str:
    return f"demo-ws-revoked:{site}:{profile}"


def _deleted_key(site: str, cmid: int) -> str:
    return f"demo-cm-deleted:{site}:{cmid}"


def _switches(keys: list[str]) -> dict[str, bool]:
    """Several switches of the shared cache at once, remembered for the request: one query on the database
    cache (a course's modules are a dozen switches, and benchmarks call thousands of times), one get each on Redis."""
    memo = request.environ.setdefault("demo_platform.ws_switches", {}) if has_request_context() else {}
    wanted = [key for key in dict.fromkeys(keys) if key not in memo]
    if wanted:
        cache = current_app.extensions["lti_cache"]
        table = getattr(cache, "table", None)  # DatabaseCache's cache_entry table
        if table is not None:
            found = dict(db.session.execute(select(table.c.key, table.c.value).where(
                table.c.key.in_(wanted), table.c.expires_at > utcnow())).all())
            memo.update({key: bool(found.get(key)) for key in wanted})
        else:
            memo.update({key: bool(cache.get(key)) for key in wanted})
    return {key: memo[key] for key in keys}


def _prefetch_switches(site: str) -> None:
    _switches([_revoked_key(site, profile) for profile in PROFILES]
              + [_deleted_key(site, module.cmid) for sections in CATALOG.values()
                 for section in sections for module in section.modules])


def token_revoked(site: str, profile: str) -> bool:
    key = _revoked_key(site, profile)
    return _switches([key])[key]


def module_deleted(site: str, cmid: int) -> bool:
    key = _deleted_key(site, cmid)
    return _switches([key])[key]


def _profile_of(site: str, token: str) -> str | None:
    for profile in PROFILES:
        if token and hmac.compare_digest(token.encode(), ws_token(site, profile).encode()):
            return None if token_revoked(site, profile) else profile
    return None


def _issuer(site: str) -> str:
    return f"{base_url()}/demo/{site}"


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


# -- parameters in PHP array notation ---------------------------------------------------------------------
_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_php_params(pairs) -> dict[str, Any]:
    """`options[0][name]=x` → {"options": {"0": {"name": "x"}}}; `ids[]=1&ids[]=2` appends, as PHP does."""
    params: dict[str, Any] = {}
    for raw_name, value in pairs:
        match = _NAME.match(raw_name)
        if not match:
            params[raw_name] = value
            continue
        keys = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = params
        for position, key in enumerate(keys):
            last = position == len(keys) - 1
            if key == "":
                key = str(sum(1 for k in node if k.isdigit() or (k.startswith("-") and k[1:].isdigit())))
            if last:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
    return params


# Parameter descriptions, after Moodle's external_value / external_multiple_structure / external_single_structure.
REQUIRED = object()
_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")


def _int(default=REQUIRED):
    return ("int", default)


def _raw(default=REQUIRED):
    return ("raw", default)


def _multiple(item, default=REQUIRED):
    return ("multiple", item, default)


def _single(keys: dict, default=REQUIRED):
    return ("single", keys, default)


def _validate(value, description):
    kind = description[0]
    if kind == "int":
        if isinstance(value, dict) or not _INT.match(str(value)):
            raise invalid_parameter()
        return int(value)
    if kind == "raw":
        if isinstance(value, dict):
            raise invalid_parameter()
        return str(value)
    if kind == "multiple":
        if not isinstance(value, dict):  # "Only arrays accepted."
            raise invalid_parameter()
        return [_validate(item, description[1]) for item in value.values()]
    if not isinstance(value, dict):
        raise invalid_parameter()
    return _validate_keys(value, description[1])


def _validate_keys(params: dict, keys: dict) -> dict:
    result, rest = {}, dict(params)
    for name, description in keys.items():
        if name in rest:
            result[name] = _validate(rest.pop(name), description)
        elif description[-1] is REQUIRED:
            raise invalid_parameter()  # "Missing required key in single structure"
        else:
            result[name] = description[-1]
    if rest:
        raise invalid_parameter()  # "Unexpected keys (...) detected in parameter array."
    return result


# -- the catalog as the web service user sees it -------------------------------------------------------------
def _course_or_error(course_id: int) -> tuple[DemoSection, ...]:
    key = str(course_id)
    if key not in CATALOG or find_course(key) is None:
        raise missing_record("course")
    return CATALOG[key]


def _live_modules(site: str, sections) -> list[tuple[DemoSection, DemoModule]]:
    return [(section, module) for section in sections for module in section.modules
            if not module_deleted(site, module.cmid)]


def _section_id(course_id: int, section: DemoSection) -> int:
    return course_id * 10 + section.number


def _context_id(cmid: int) -> int:
    return 1000 + cmid


def _module_json(site: str, module: DemoModule) -> dict:
    issuer = _issuer(site)
    body = {
        "id": module.cmid, "url": f"{issuer}/mod/{module.modname}/view.php?id={module.cmid}",
        "name": module.name, "instance": module.instance, "contextid": _context_id(module.cmid),
        "visible": 1, "uservisible": True, "visibleoncoursepage": 1,
        "modicon": f"{issuer}/theme/image.php/boost/{module.modname}/1728287000/monologo?filtericon=1",
        "modname": module.modname, "modplural": MOD_PLURALS.get(module.modname, module.modname),
        "availability": None, "indent": 0, "onclick": "", "afterlink": None, "customdata": json.dumps(""),
        "noviewlink": False, "completion": module.tracking,
    }
    if module.tracking:
        body["completiondata"] = {
            "state": 0, "timecompleted": 0, "overrideby": None, "valueused": False, "hascompletion": True,
            "isautomatic": module.tracking == 2, "istrackeduser": False, "uservisible": True, "details": [],
        }
    body.update(downloadcontent=1, dates=[])
    return body


def _user_or_error(user_id: int, *, require_tracked: bool):
    """Demo people as they are; any other positive id is an enrolled learner of the demo site (benchmarks)."""
    if user_id <= 0:
        raise missing_record("user")
    demo = find_user(str(user_id))
    if require_tracked and demo is not None and (demo.role != "Learner" or not demo.enrolled):
        raise MoodleError("moodle_exception", "nottracked", "User is not tracked for completion")
    return demo


def _completions(site: str, user_id: str, cmids: list[int]) -> dict[int, DemoCompletion]:
    if not cmids:
        return {}
    rows = db.session.scalars(select(DemoCompletion).where(
        DemoCompletion.site == site, DemoCompletion.user_id == user_id, DemoCompletion.cmid.in_(cmids)))
    return {row.cmid: row for row in rows}


def _find_scorm(site: str, scorm_id: int) -> tuple[str, DemoModule] | None:
    for course_id, sections in CATALOG.items():
        for section in sections:
            for module in section.modules:
                if module.modname == "scorm" and module.instance == scorm_id and not module_deleted(site, module.cmid):
                    return course_id, module
    return None


def _find_sco(site: str, sco_id: int) -> DemoModule | None:
    for sections in CATALOG.values():
        for section in sections:
            for module in section.modules:
                if module.scoid == sco_id and not module_deleted(site, module.cmid):
                    return module
    return None


def scorm_time(seconds: int) -> str:
    """SCORM 1.2 CMITimespan, HHHH:MM:SS.SS with at least two digits of hours, as Moodle stores it."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.00"


# -- the functions ----------------------------------------------------------------------------------------------
def get_site_info(site: str, profile: str, params: dict) -> dict:
    issuer = _issuer(site)
    return {
        "sitename": SITES[site]["name"], "username": "ws-parcours", "firstname": "Service",
        "lastname": "Parcours hybrides", "fullname": "Service Parcours hybrides", "lang": "fr", "userid": 3,
        "siteurl": issuer, "userpictureurl": f"{issuer}/theme/image.php/boost/core/1728287000/u/f1",
        "functions": [{"name": name, "version": MOODLE_VERSION} for name in PROFILES[profile]],
        "downloadfiles": 1, "uploadfiles": 1, "release": MOODLE_RELEASE, "version": MOODLE_VERSION,
        "mobilecssurl": "", "advancedfeatures": [], "usercanmanageownfiles": True, "userquota": 0,
        "usermaxuploadfilesize": -1, "userhomepage": 1, "userprivateaccesskey": "", "siteid": 1,
        "sitecalendartype": "gregorian", "usercalendartype": "gregorian", "userissiteadmin": False,
        "theme": "boost", "limitconcurrentlogins": 0, "policyagreed": 1,
    }


_CONTENT_OPTIONS = {"excludemodules", "excludecontents", "includestealthmodules", "sectionid", "sectionnumber",
                    "cmid", "modid", "modname"}


def get_course_contents(site: str, profile: str, params: dict) -> list:
    filters: dict[str, Any] = {}
    for option in params["options"]:
        name = option["name"].strip()
        if name in filters:
            continue
        if name not in _CONTENT_OPTIONS:
            raise MoodleError("moodle_exception", "errorinvalidparam", f'The param "{name}" is invalid.')
        value = option["value"]
        if name in ("excludemodules", "excludecontents", "includestealthmodules"):
            filters[name] = value.strip().lower() not in ("", "0", "false", "no", "off")
        elif name == "modname":
            if not re.match(r"^[a-z][a-z0-9_]*$", value):
                raise MoodleError("moodle_exception", "errorinvalidparam", f'The param "{name}" is invalid.')
            filters[name] = value
        else:  # clean_param(PARAM_INT) is PHP's (int): "abc" is 0, which filters nothing
            number = re.match(r"^\s*-?\d+", value)
            filters[name] = int(number.group(0)) if number else 0
    course_id = params["courseid"]
    sections = _course_or_error(course_id)
    contents = []
    for section in sections:
        if filters.get("sectionid") and _section_id(course_id, section) != filters["sectionid"]:
            continue
        if "sectionnumber" in filters and section.number != filters["sectionnumber"]:
            continue
        modules = []
        if not filters.get("excludemodules"):
            for module in section.modules:
                if module_deleted(site, module.cmid):
                    continue
                if filters.get("cmid") and module.cmid != filters["cmid"]:
                    continue
                if filters.get("modname"):
                    if module.modname != filters["modname"]:
                        continue
                    if filters.get("modid") and module.instance != filters["modid"]:
                        continue
                modules.append(_module_json(site, module))
        contents.append({
            "id": _section_id(course_id, section), "name": section.name, "visible": 1, "summary": "",
            "summaryformat": 1, "section": section.number, "hiddenbynumsections": 0, "uservisible": True,
            "modules": modules,
        })
    return contents


def get_activities_completion_status(site: str, profile: str, params: dict) -> dict:
    sections = _course_or_error(params["courseid"])
    user_id = params["userid"]
    _user_or_error(user_id, require_tracked=True)
    tracked = [module for _, module in _live_modules(site, sections) if module.tracking > 0]
    done = _completions(site, str(user_id), [module.cmid for module in tracked])
    statuses = []
    for module in tracked:
        row = done.get(module.cmid)
        statuses.append({
            "cmid": module.cmid, "modname": module.modname, "instance": module.instance,
            "state": row.state if row else 0, "timecompleted": row.time_completed if row else 0,
            "tracking": module.tracking, "overrideby": None, "valueused": False, "hascompletion": True,
            "isautomatic": module.tracking == 2, "istrackeduser": True, "uservisible": True, "details": [],
        })
    return {"statuses": statuses, "warnings": []}


def get_scorms_by_courses(site: str, profile: str, params: dict) -> dict:
    wanted = list(dict.fromkeys(params["courseids"])) or [int(course.context_id) for course in DEMO_COURSES]
    scorms, warnings = [], []
    for course_id in wanted:
        try:
            sections = _course_or_error(course_id)
        except MoodleError:
            warnings.append({"item": "course", "itemid": course_id, "warningcode": "1",
                             "message": "No access rights in course context"})
            continue
        for _, module in _live_modules(site, sections):
            if module.modname != "scorm":
                continue
            scorms.append({
                "id": module.instance, "coursemodule": module.cmid, "course": course_id, "name": module.name,
                "intro": "", "introformat": 1, "introfiles": [], "packagesize": 0, "version": "SCORM_12",
                "maxgrade": 100, "grademethod": 1, "whatgrade": 0, "maxattempt": 0, "forcecompleted": False,
                "forcenewattempt": 0, "lastattemptlock": False, "displayattemptstatus": 1,
                "displaycoursestructure": False, "sha1hash": "", "md5hash": "", "revision": 1,
                "launch": module.scoid or 0, "skipview": 1, "hidebrowse": False, "hidetoc": 0, "nav": 1,
                "navpositionleft": -100, "navpositiontop": -100, "auto": False, "popup": 0, "width": 100,
                "height": 500, "timeopen": 0, "timeclose": 0, "displayactivityname": True, "scormtype": "local",
                "reference": f"scorm-{module.instance}.zip", "protectpackagedownloads": False,
            })
    return {"scorms": scorms, "warnings": warnings}


def get_scorm_scoes(site: str, profile: str, params: dict) -> dict:
    found = _find_scorm(site, params["scormid"])
    if found is None:
        raise missing_record("scorm")
    _, module = found
    scoes = []
    if params["organization"] in ("", "ORG-1"):
        scoes.append({"id": module.scoid, "scorm": module.instance, "manifest": "MANIFEST-1",
                      "organization": "ORG-1", "parent": "/", "identifier": "SCO-1", "launch": "index.html",
                      "scormtype": "sco", "title": module.name, "sortorder": 1, "extradata": []})
    return {"scoes": scoes, "warnings": []}


def get_scorm_sco_tracks(site: str, profile: str, params: dict) -> dict:
    module = _find_sco(site, params["scoid"])
    if module is None:
        raise MoodleError("moodle_exception", "cannotfindsco", "Cannot find SCO")
    user_id = params["userid"]
    _user_or_error(user_id, require_tracked=False)
    attempt = params["attempt"] or 1  # scorm_get_last_attempt() is 1 when there is none
    row = _completions(site, str(user_id), [module.cmid]).get(module.cmid) if attempt == 1 else None
    tracks, warnings = [], []
    if row is None or (row.scorm_seconds <= 0 and row.state == 0):
        warnings.append({"item": "attempt", "itemid": attempt, "warningcode": "notattempted",
                         "message": "Not attempted"})
    else:
        status = "completed" if row.state > 0 else "incomplete"
        total = scorm_time(row.scorm_seconds)
        started = max(0, (row.time_modified or 0) - row.scorm_seconds)
        # scorm_get_tracks(): its summary fields first, then every stored element; values as Moodle's (text).
        track = {"userid": user_id, "scoid": str(module.scoid), "score_raw": "", "status": status,
                 "total_time": total, "session_time": "00:00:00", "timemodified": str(row.time_modified or 0),
                 "cmi.core.lesson_status": status, "cmi.core.total_time": total, "x.start.time": str(started)}
        tracks = [{"element": element, "value": value} for element, value in track.items()]
    return {"data": {"attempt": attempt, "tracks": tracks}, "warnings": warnings}


FUNCTIONS = {
    "core_webservice_get_site_info": (get_site_info, {"serviceshortnames": _multiple(_raw(), default=[])}),
    "core_course_get_contents": (get_course_contents, {
        "courseid": _int(), "options": _multiple(_single({"name": _raw(), "value": _raw()}), default=[])}),
    "core_completion_get_activities_completion_status": (get_activities_completion_status,
                                                         {"courseid": _int(), "userid": _int()}),
    "mod_scorm_get_scorms_by_courses": (get_scorms_by_courses, {"courseids": _multiple(_int(), default=[])}),
    "mod_scorm_get_scorm_scoes": (get_scorm_scoes, {"scormid": _int(), "organization": _raw(default="")}),
    "mod_scorm_get_scorm_sco_tracks": (get_scorm_sco_tracks,
                                       {"scoid": _int(), "userid": _int(), "attempt": _int(default=0)}),
    # Moodle's bell and mobile app (the tool's messages, issue 14): FORMAT_HTML by default, clientmsgid optional.
    "core_message_send_instant_messages": (send_instant_messages, {"messages": _multiple(_single({
        "touserid": _int(), "text": _raw(), "textformat": _int(default=1), "clientmsgid": _raw(default="")}))}),
}
assert set(FULL_FUNCTIONS) == set(FUNCTIONS)


# -- the REST server ----------------------------------------------------------------------------------------------
def _xml(value) -> str:
    if isinstance(value, dict):
        keys = "".join(f'<KEY name={quoteattr(str(k))}>{_xml(v)}</KEY>\n' for k, v in value.items())
        return f"<SINGLE>\n{keys}</SINGLE>\n"
    if isinstance(value, list):
        return "<MULTIPLE>\n" + "".join(_xml(item) for item in value) + "</MULTIPLE>\n"
    if value is None:
        return '<VALUE null="null"/>\n'
    if isinstance(value, bool):
        value = int(value)
    return f"<VALUE>{escape(str(value))}</VALUE>\n"


def _answer(payload, as_json: bool) -> Response:
    if as_json:
        return Response(json.dumps(payload, ensure_ascii=False), 200,
                        content_type="application/json; charset=utf-8")
    head = '<?xml version="1.0" encoding="UTF-8" ?>\n'
    if isinstance(payload, MoodleError):
        body = (f"<EXCEPTION class={quoteattr(payload.exception)}>\n<ERRORCODE>{escape(payload.errorcode)}"
                f"</ERRORCODE>\n<MESSAGE>{escape(payload.message)}</MESSAGE>\n</EXCEPTION>\n")
    else:
        body = "<RESPONSE>\n" + _xml(payload) + "</RESPONSE>\n"
    return Response(head + body, 200, content_type="application/xml; charset=utf-8")


def call(site: str, params: dict) -> Any:
    """One web service call, as server.php runs it; raises MoodleError as Moodle throws."""
    token = params.pop("wstoken", "")
    function = params.pop("wsfunction", "")
    params.pop("moodlewsrestformat", None)
    _prefetch_switches(site)
    for name in [name for name in params if name.startswith("moodlewssetting")]:
        params.pop(name)
    profile = _profile_of(site, token if isinstance(token, str) else "")
    if profile is None:
        raise MoodleError("moodle_exception", "invalidtoken", "Invalid token - token not found")
    if not function or not isinstance(function, str):
        raise invalid_parameter()  # "Missing function name"
    if function not in FUNCTIONS and function not in OTHER_MOODLE_FUNCTIONS:
        raise missing_record("external_functions")
    if function not in PROFILES[profile]:
        raise MoodleError("webservice_access_exception", "accessexception", "Access control exception")
    handler, description = FUNCTIONS[function]
    return handler(site, profile, _validate_keys(params, description))


@bp.route("/<site>/webservice/rest/server.php", methods=["GET", "POST"])
@simulated_network
def rest_server(site: str):
    if site not in SITES:
        abort(404)
    pairs = list(request.args.items(multi=True)) + list(request.form.items(multi=True))  # POST wins, as PHP
    params = parse_php_params(pairs)
    as_json = params.get("moodlewsrestformat") == "json"  # anything else (or nothing) is XML, as in Moodle
    try:
        return _answer(call(site, params), as_json)
    except MoodleError as error:
        if as_json:
            return _answer({"exception": error.exception, "errorcode": error.errorcode,
                            "message": error.message}, True)
        return _answer(error, False)


# -- demo switches: token revocation, module deletion ----------------------------------------------------------
def _switch(key: str, on: bool) -> None:
    """A demo switch (a revoked token, a deleted activity) lives in the shared cache, for every worker."""
    cache = current_app.extensions["lti_cache"]
    if on:
        cache.set(key, 1, SWITCH_TTL)
    else:
        cache.delete(key)


def _flag(name: str) -> bool:
    value = request.form.get(name)
    if value not in ("0", "1"):
        abort(400)
    return value == "1"


def _back_to_page(site: str, course: str | None = None, cmid: int | None = None):
    args = {"site": site}
    if course:
        args["course"] = course
    if request.form.get("user"):
        args["user"] = request.form["user"]
    target = url_for("demo.activities", **args) + (f"#cm-{cmid}" if cmid else "#webservice")
    return redirect(target, code=303)


@bp.post("/<site>/webservice/revoke")
def revoke_token(site: str):
    """Revoke (or restore) a demo site's token, as an administrator deletes it in Moodle."""
    profile = request.form.get("profile", "")
    if site not in SITES:
        abort(404)
    if profile not in PROFILES:
        abort(400)
    revoked = _flag("revoked")
    _switch(_revoked_key(site, profile), revoked)
    if _wants_json():
        return jsonify(site=site, profile=profile, revoked=revoked)
    return _back_to_page(site, request.form.get("course"))


@bp.post("/<site>/activities/<int:cmid>/delete")
def delete_module(site: str, cmid: int):
    """Delete (or restore) a course module on a demo site: it vanishes from every web service function."""
    found = find_module(cmid)
    if site not in SITES or found is None:
        abort(404)
    deleted = _flag("deleted")
    _switch(_deleted_key(site, cmid), deleted)
    if _wants_json():
        return jsonify(site=site, cmid=cmid, deleted=deleted)
    return _back_to_page(site, found[0], cmid)


# -- the learner's side: the activities page and its completion form -------------------------------------------
def _learners():
    return [user for user in DEMO_USERS if user.role == "Learner" and user.enrolled]


def duration_label(seconds: int) -> str:
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@bp.get("/activities")
def activities():
    site = request.args.get("site") or "moodle-a"
    course_id = request.args.get("course") or DEMO_COURSES[0].context_id
    learners = _learners()
    user_id = request.args.get("user") or learners[0].id
    course, user = find_course(course_id), find_user(user_id)
    if site not in SITES or course is None or user is None or user not in learners:
        abort(404)
    _prefetch_switches(site)
    sections = CATALOG.get(course.context_id, ())
    all_modules = [module for section in sections for module in section.modules]
    done = _completions(site, user.id, [module.cmid for module in all_modules])
    rows = {}
    for module in all_modules:
        row = done.get(module.cmid)
        rows[module.cmid] = {
            "deleted": module_deleted(site, module.cmid), "state": row.state if row else 0,
            "completed_at": (datetime.fromtimestamp(row.time_completed, timezone.utc)
                             if row and row.time_completed else None),
            "scorm": duration_label(row.scorm_seconds if row else 0),
        }
    tokens = [{"profile": profile, "token": ws_token(site, profile), "revoked": token_revoked(site, profile),
               "functions": functions} for profile, functions in PROFILES.items()]
    return render_template(
        "demo/activities.html", sites=SITES, site=site, courses=DEMO_COURSES, course=course, learners=learners,
        user=user, sections=sections, rows=rows, tokens=tokens, mod_labels=MOD_LABELS,
        tracking_labels=TRACKING_LABELS, ws_url=_issuer(site) + "/webservice/rest/server.php")


def _refuse(status: int, message: str):
    if _wants_json():
        response = jsonify(error=message)
        response.status_code = status
        return response
    return render_template("demo/message.html", title="Action refusée", message=message), status


@bp.post("/activities/completion")
def record_completion():
    """A learner ticks an activity done (or not), or spends 10 more minutes in a SCORM package."""
    form = request.form
    site, course_id, user_id, action = (form.get("site", ""), form.get("course", ""), form.get("user", "").strip(),
                                        form.get("action", ""))
    if site not in SITES:
        return _refuse(404, "Site Moodle inconnu.")
    if action not in ("complete", "incomplete", "scorm10"):
        return _refuse(400, "Action inconnue.")
    demo = find_user(user_id)
    if demo is not None and (demo.role != "Learner" or not demo.enrolled):
        return _refuse(400, "Seuls les apprenant·es inscrit·es ont un suivi d'achèvement.")
    if demo is None and not (_INT.match(user_id) and int(user_id) > 0):
        return _refuse(400, "Apprenant·e inconnu·e.")
    try:
        cmid = int(form.get("cmid", ""))
    except ValueError:
        return _refuse(400, "Activité inconnue.")
    found = find_module(cmid)
    if found is None or found[0] != course_id or module_deleted(site, cmid):
        return _refuse(404, "Cette activité n'existe pas (ou plus) dans ce cours.")
    module = found[2]
    if action == "scorm10" and module.modname != "scorm":
        return _refuse(400, "Seul un paquetage SCORM compte du temps.")
    if action != "scorm10" and not module.tracking:
        return _refuse(400, "Cette activité n'a pas de suivi d'achèvement.")
    now = int(time.time())
    if action == "scorm10":
        values = {"scorm_seconds": DemoCompletion.scorm_seconds + 600, "time_modified": now}
        fresh = {"state": 0, "time_completed": 0, "scorm_seconds": 600}
    elif action == "complete":
        values = fresh = {"state": 1, "time_completed": now}
    else:
        values = fresh = {"state": 0, "time_completed": 0}
    values = {**values, "time_modified": now}
    row = _upsert(site, cmid, user_id, values, {**fresh, "time_modified": now})
    if _wants_json():
        return jsonify(site=site, cmid=cmid, user_id=user_id, state=row.state, time_completed=row.time_completed,
                       scorm_seconds=row.scorm_seconds, time_modified=row.time_modified)
    return redirect(url_for("demo.activities", site=site, course=course_id, user=user_id) + f"#cm-{cmid}", code=303)


def _upsert(site: str, cmid: int, user_id: str, values: dict, fresh: dict) -> DemoCompletion:
    """An atomic UPDATE (SCORM time adds up under concurrent clicks), or an INSERT when there is no row yet."""
    where = (DemoCompletion.site == site, DemoCompletion.cmid == cmid, DemoCompletion.user_id == user_id)
    statement = update(DemoCompletion).where(*where).values(**values).execution_options(synchronize_session=False)
    if db.session.execute(statement).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(DemoCompletion(site=site, cmid=cmid, user_id=user_id, **fresh))
        except IntegrityError:  # another request inserted it first: apply ours on top
            db.session.execute(statement)
    db.session.commit()
    return db.session.scalars(select(DemoCompletion).where(*where)).one()

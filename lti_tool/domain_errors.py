"""The tool's domain exceptions: what a service refuses, with a stable code and a message the user understands.

No Flask here (only Babel's lazy strings): services raise these without depending on the web layer; `errors`
renders them as a page or JSON and re-exports them for the views.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class ToolError(Exception):
    """An error the user can understand; `code` is stable and shown on the page for support."""

    status = 400
    code = "bad_request"
    messages: dict[str, object] = {}

    def __init__(self, code: str | None = None, detail: str = "", status: int | None = None):
        super().__init__(detail or code or self.code)
        self.code = code or self.code
        self.detail = detail
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return str(self.messages.get(self.code, _l("The request could not be processed.")))


LAUNCH_MESSAGES = {
    "missing_issuer": _l("The login request does not name its platform (iss)."),
    "missing_login_hint": _l("The login request has no login_hint."),
    "unknown_platform": _l("This Moodle site (issuer and client id) is not registered with the tool."),
    "unknown_deployment": _l("This deployment of the tool is not registered for this Moodle site."),
    "missing_id_token": _l("The launch carries no id_token."),
    "malformed_jwt": _l("The launch token is not a valid JWT."),
    "unsupported_alg": _l("The launch token uses a signature algorithm the tool refuses."),
    "missing_kid": _l("The launch token does not say which key signed it (kid)."),
    "unknown_kid": _l("The launch token was signed by a key the platform does not publish."),
    "platform_keys_unavailable": _l("The platform's public keys could not be fetched. Try again in a moment."),
    "bad_signature": _l("The launch token's signature is invalid."),
    "token_expired": _l("The launch has expired. Go back to Moodle and open the activity again."),
    "token_not_yet_valid": _l("The launch token is dated in the future: check the platform's clock."),
    "missing_claim": _l("The launch token lacks a required claim (exp, iat, aud, iss or sub)."),
    "wrong_audience": _l("The launch token was issued for another tool (aud)."),
    "wrong_issuer": _l("The launch token's issuer does not match the registration."),
    "missing_state": _l("The launch has no state parameter."),
    "state_cookie_missing": _l(
        "Your browser did not keep the launch cookie (often blocked inside Moodle's frame). "
        "Open the activity in a new window."
    ),
    "unknown_state": _l("This launch was not started by the tool, or it has expired. Start it again from Moodle."),
    "state_expired": _l("The launch took too long. Start it again from Moodle."),
    "replayed_launch": _l("This launch has already been used. Start it again from Moodle."),
    "missing_nonce": _l("The launch token has no nonce."),
    "nonce_mismatch": _l("The launch token's nonce does not match this login (replay refused)."),
    "invalid_message": _l("The launch message is incomplete or of an unsupported type."),
    "missing_context": _l("The launch does not say which course it comes from."),
    "pathway_not_in_course": _l("This activity opens a pathway of another course (copied activity?). "
                                "Ask the instructor to place the pathway again in this course."),
}


class LaunchRefused(ToolError):
    status = 400
    code = "launch_refused"
    messages = LAUNCH_MESSAGES


class NotLaunched(ToolError):
    status = 401
    code = "not_launched"
    messages = {"not_launched": _l("Your session has ended or was not opened from Moodle. Open the activity from your course.")}


class Forbidden(ToolError):
    status = 403
    code = "forbidden"
    messages = {"forbidden": _l("Your role in this course does not give access to this page.")}


class RegistrationError(ToolError):
    status = 400
    code = "registration_failed"
    messages = {
        "missing_parameters": _l("The registration link lacks openid_configuration or registration_token."),
        "insecure_url": _l("The platform's configuration URL must use https."),
        "configuration_unreachable": _l("The platform's configuration could not be read."),
        "configuration_invalid": _l("The platform's configuration is not a valid LTI platform configuration."),
        "configuration_mismatch": _l("The platform's configuration announces another site than the one that sent it."),
        "registration_rejected": _l("The platform refused the registration (the link may already have been used)."),
        "registration_invalid": _l("The platform's answer to the registration is not valid."),
    }


class NotFound(ToolError):
    status = 404
    code = "not_found"
    messages = {"not_found": _l("This item does not exist in your course.")}


class Refused(ToolError):
    """A domain rule said no (full session, minimum time not reached...)."""

    status = 409
    code = "refused"
    messages = {
        "session_full": _l("This session is full."),
        "session_past": _l("This session has already taken place or registrations are closed."),
        "session_cancelled": _l("This session has been cancelled."),
        "not_bookable": _l("This session is not open to your profession."),
        "minimum_time_not_reached": _l("Spend at least the minimum time on the module before marking it done."),
        "step_locked": _l("Complete the previous step first."),
        "completed_in_moodle": _l("This activity is completed in Moodle: it will show as done here once Moodle records it."),
        "checkin_code_invalid": _l("This check-in code is wrong or has expired. Ask the facilitator for the current code."),
        "not_booked": _l("You are not registered for this session."),
        "sheet_certified": _l("This attendance sheet is certified: it can no longer change. An administrator can reopen it, with a reason, to correct it."),
        "sheet_not_certified": _l("This attendance sheet is not certified."),
        "administrator_only": _l("Only a Moodle administrator can do this."),
        "dpc_validated_on_sheet": _l("A participant's DPC validation rests on this sheet: withdraw that validation first (with its reason)."),
        "booking_locked": _l("The session has started: this registration can no longer change."),
        "already_booked_in_step": _l("You are already registered for a session of this workshop: cancel it first to choose another one."),
        "step_already_done": _l("You have already completed this workshop."),
        "pathway_closed": _l("This pathway is not open to registrations."),
        "pathway_archived": _l("This pathway is archived: it is read-only. Unarchive it to change it."),
        "pathway_without_steps": _l("Add at least one step before publishing the pathway."),
        "pathway_has_activity": _l("Learners have already taken part in this pathway: archive it instead."),
        "session_started": _l("This session has started or has a certified attendance sheet: it can no longer be cancelled."),
        "session_started_dates": _l("This session has started: its dates can no longer change."),
        "capacity_below_confirmed": _l("There are more confirmed registrations than this number of seats."),
        "quota_below_confirmed": _l("A profession's quota is below the number of its confirmed registrations."),
        "target_excludes_booked": _l("Registered learners belong to a profession this change would exclude."),
        "completion_certified": _l("This workshop was completed through certified attendance sheets: correct the sheet (an administrator reopens it), not the step."),
        "half_day_not_over": _l("The sheet can be certified once the half-day is over."),
        "step_has_certified_sheets": _l("This step has certified attendance sheets (DPC proof): it cannot be deleted."),
        "checkin_closed": _l("Check-in is open from 30 minutes before the half-day until its end, before the sheet is certified."),
        "already_marked": _l("The facilitator has already marked your attendance for this half-day."),
        "dpc_no_programme": _l("This pathway has no DPC programme."),
        "dpc_criteria_unmet": _l("The DPC rules are not all met for this participant."),
        "dpc_not_validated": _l("This participant's DPC participation is not validated."),
        "reason_required": _l("Give a reason for this correction."),
        "profile_required": _l("Complete your profile first."),
        "invalid_form": _l("Some fields are missing or invalid."),
    }


class InvalidInput(ToolError):
    status = 422
    code = "invalid_input"

    def __init__(self, errors: dict, detail: str = ""):
        super().__init__("invalid_input", detail or str(errors))
        self.errors = errors

    @property
    def message(self) -> str:
        details = "; ".join(f"{field}: {_flatten(problem)}" for field, problem in list(self.errors.items())[:5])
        return str(_l("Some fields are missing or invalid.")) + (f" ({details})" if details else "")


def _flatten(problem) -> str:
    while isinstance(problem, (list, dict)) and problem:
        problem = next(iter(problem.values())) if isinstance(problem, dict) else problem[0]
    return str(problem)

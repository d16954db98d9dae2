"""Moodle activities as online modules: the web service connection of a platform (`connection`), the course's
activities for the step picker (`catalog`), the sync of learners' completion and SCORM time into the completion
engine (`sync`), and the learner page's view of it (`learner`). Callers use the names re-exported here.

The LTI context id Moodle sends is the Moodle course id, and the LTI `sub` is the Moodle user id, so no mapping
table is needed. What pathways and the completion engine need of Moodle (the activity a step may link to, the
learner's mirror) lives below this package, in `services.moodle_links`, so that neither imports this package.
"""
from ..moodle_links import activity, mirror, remember_withdrawal, validate_link
from .catalog import MAX_ID, Picker, activities, course_sync_record, linked_steps, picker, refresh_activities
from .connection import (
    ConnectionCheck,
    check_connection,
    client_for,
    connection_for,
    default_rest_url,
    remove_connection,
    rest_url,
    save_and_check,
    save_connection,
)
from .learner import LearnerState, learner_state, refresh_learner
from .sync import (
    DONE_STATES,
    MOODLE,
    CourseOverview,
    SyncPlan,
    SyncReport,
    apply_states,
    count_learners,
    course_overview,
    fetch_states,
    learners_to_sync,
    plan,
    sync_batch,
    sync_learners,
)

__all__ = [
    "activity", "mirror", "remember_withdrawal", "validate_link",
    "MAX_ID", "Picker", "activities", "course_sync_record", "linked_steps", "picker", "refresh_activities",
    "ConnectionCheck", "check_connection", "client_for", "connection_for", "default_rest_url", "remove_connection",
    "rest_url", "save_and_check", "save_connection",
    "LearnerState", "learner_state", "refresh_learner",
    "DONE_STATES", "MOODLE", "CourseOverview", "SyncPlan", "SyncReport", "apply_states", "count_learners",
    "course_overview", "fetch_states", "learners_to_sync", "plan", "sync_batch", "sync_learners",
]

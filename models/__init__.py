"""SQLAlchemy models: one module per aggregate. Importing this package registers every table."""
from .admin import AdminToken
from .base import Base, db, utcnow
from .dpc import DpcProgramme, DpcType, DpcValidation
from .guards import CheckinAttempt, FormSubmission
from .grades import GradeOutbox, PathwayRescore
from .launch import CacheEntry, LaunchState
from .moodle import MoodleActivity, MoodleConnection, MoodleCourseSync, MoodleLearnerSync
from .notifications import Notification, NotificationPreference, NotificationSettings, SessionRevision
from .signatures import AttendanceSignature
from .surveys import SurveyResponse
from .pathways import (ActivityInterval, Enrolment, LearnerProfile, Organisation, Pathway, QuestionnaireAttempt,
                       Step, StepCompletion, StepKind)
from .people import Course, CourseMembership, ResourceLink, Role, User
from .workshops import (AttendanceMark, AttendanceStatus, Booking, BookingNotice, HalfDay, SessionFormat, SheetReopening,
                        WorkshopSession)
from .platform import Deployment, Platform, ToolKey

__all__ = [
    "ActivityInterval", "AttendanceMark", "AttendanceSignature", "AttendanceStatus", "Booking", "BookingNotice", "SheetReopening", "Enrolment", "HalfDay", "LearnerProfile", "Organisation",
    "Pathway", "QuestionnaireAttempt", "SessionFormat", "Step", "StepCompletion", "StepKind", "WorkshopSession",
    "AdminToken", "CheckinAttempt", "FormSubmission", "DpcProgramme", "DpcType", "DpcValidation", "GradeOutbox", "PathwayRescore", "Base", "CacheEntry", "Course", "CourseMembership", "Deployment", "LaunchState",
    "MoodleActivity", "MoodleConnection", "MoodleCourseSync", "MoodleLearnerSync",
    "Notification", "NotificationPreference", "NotificationSettings", "SessionRevision", "SurveyResponse",
    "Platform", "ResourceLink", "Role", "ToolKey", "User", "db", "utcnow",
]


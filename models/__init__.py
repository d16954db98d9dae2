"""SQLAlchemy models: one module per aggregate. Importing this package registers every table."""
from .admin import AdminToken
from .base import Base, db, utcnow
from .launch import CacheEntry, LaunchState
from .people import Course, CourseMembership, ResourceLink, Role, User
from .platform import Deployment, Platform, ToolKey

__all__ = [
    "AdminToken", "Base", "CacheEntry", "Course", "CourseMembership", "Deployment", "LaunchState",
    "Platform", "ResourceLink", "Role", "ToolKey", "User", "db", "utcnow",
]


"""Learner profiles: profession, RPPS/ADELI, mode of practice, CPTS."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Enrolment, LearnerProfile, User, db, utcnow

from . import identifiers


def prefill(user: User) -> dict:
    """What the launch tells us: Moodle's idnumber ($Person.sourcedId) may hold the RPPS number."""
    candidate = identifiers.normalise(user.person_sourcedid)
    return {"rpps": candidate if identifiers.rpps_valid(candidate) else ""}


def save_profile(user: User, data: dict) -> LearnerProfile:
    """`data` is validated by ProfileSchema. The profession is copied to enrolments for the dashboards."""
    profile = db.session.get(LearnerProfile, user.id)
    if profile is None:
        try:
            with db.session.begin_nested():
                profile = LearnerProfile(user_id=user.id, profession=data.get("profession", ""))
                db.session.add(profile)
        except IntegrityError:  # the same form sent twice at once: the first insert won, this one updates it
            profile = db.session.get(LearnerProfile, user.id, populate_existing=True)
    for key in ("profession", "rpps", "adeli", "practice_mode", "cpts"):
        setattr(profile, key, data.get(key, ""))
    profile.updated_at = utcnow()
    db.session.flush()
    from . import completion  # the profession decides which steps are required: progress and grade follow

    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)):
        if enrolment.profession != profile.profession:
            enrolment.profession = profile.profession
            completion.recompute(enrolment)
    db.session.flush()
    return profile

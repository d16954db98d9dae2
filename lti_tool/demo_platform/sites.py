"""The demo Moodle sites: their issuer, keys (in the instance folder) and the client id the tool got."""
from __future__ import annotations

import os
from pathlib import Path

from flask import current_app, request
from sqlalchemy import select

from models import db

from .models import DemoToolRegistration
from .simulator import PlatformSimulator, generate_private_key_pem

# moodle-a is registered by `flask lti demo setup` (the manual way); moodle-b waits for dynamic registration.
# moodle-a also has a second tool type for the same tool ("Register as a new external tool", which Moodle offers
# whenever a tool on the same domain exists): same issuer, courses and people, another client id and deployment.
SITES = {
    "moodle-a": {"name": "Moodle CPTS Rives de Seine", "client_id": "demo-client-a", "deployment_id": "1",
                 "second_client": {"client_id": "demo-client-a2", "deployment_id": "2"}},
    "moodle-b": {"name": "Moodle Fédération CPTS (enregistrement dynamique)", "client_id": None,
                 "deployment_id": None},
}


def base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def private_key(site: str) -> str:
    folder = Path(current_app.instance_path) / "demo_platform"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{site}.pem"
    if not path.exists():
        pem = generate_private_key_pem()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(pem)
    return path.read_text()


def latest_registration(site: str) -> DemoToolRegistration | None:
    return db.session.scalars(select(DemoToolRegistration).where(DemoToolRegistration.site == site)
                              .order_by(DemoToolRegistration.id.desc()).limit(1)).first()


def simulator(site: str, client_id: str | None = None) -> PlatformSimulator | None:
    """The site's platform (as its tool type `client_id`, by default the first); None for a site the tool has
    not been registered with yet, or a client id the site never gave."""
    if site not in SITES:
        return None
    second = SITES[site].get("second_client")
    if client_id and second and client_id == second["client_id"]:
        client_id, deployment_id = second["client_id"], second["deployment_id"]
    elif client_id and client_id != (SITES[site]["client_id"] or getattr(latest_registration(site), "client_id", None)):
        return None
    else:
        client_id, deployment_id = SITES[site]["client_id"], SITES[site]["deployment_id"]
    if client_id is None:
        registration = latest_registration(site)
        if registration is None:
            return None
        client_id, deployment_id = registration.client_id, registration.deployment_id
    identity = (site, f"{base_url()}/demo/{site}", client_id, deployment_id, private_key(site))
    if identity not in _simulators:
        _simulators[identity] = PlatformSimulator(issuer=identity[1], client_id=client_id,
                                                  deployment_id=deployment_id, private_pem=identity[4])
    return _simulators[identity]


_simulators: dict[tuple, PlatformSimulator] = {}


def tool_url(path: str) -> str:
    """The tool's URLs as an administrator would have pasted them into the platform."""
    return base_url() + path

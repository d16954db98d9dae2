"""What the benches that need the demo platform share: a throwaway instance (SQLite in it, or a PostgreSQL schema
of its own), the tool migrated and registered with demo site moodle-a, and the platform served by gunicorn."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
FLASK = [str(BIN / "flask"), "--app", "lti_tool"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Stack:
    base: str
    env: dict
    processes: list = field(default_factory=list)

    def start(self, command: list[str], **options) -> subprocess.Popen:
        """A process of the run (a worker, a command), stopped with the stack."""
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, **options)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def throwaway_database(name: str, database_url: str | None, instance: Path):
    """Yields the URL of an empty database for one run: SQLite in `instance`, or a PostgreSQL schema of its own
    (dropped afterwards) in `database_url`."""
    if not database_url:
        yield f"sqlite:///{instance}/bench.sqlite"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    raw = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(raw)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{raw}{'&' if '?' in raw else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def demo_stack(name: str, database_url: str | None, *, latency_ms: int):
    """Yields a Stack whose environment is also this process's (so `create_app()` here sees the same database);
    the platform answers every service call after `latency_ms`."""
    instance = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with throwaway_database(name, database_url, instance) as url:
        stack = Stack(base, dict(os.environ, DATABASE_URL=url, LTI_TOOL_INSTANCE_PATH=str(instance), DEMO_PLATFORM="1",
                                 LTI_ALLOW_HTTP_PLATFORMS="1", PUBLIC_BASE_URL=base, SECRET_KEY=f"bench-{name}",
                                 DEMO_PLATFORM_LATENCY_MS=str(latency_ms)))
        try:
            for command in (["db", "upgrade"], ["lti", "keys", "ensure"], ["lti-demo", "setup", "--base-url", base]):
                subprocess.run(FLASK + command, cwd=ROOT, env=stack.env, check=True, capture_output=True, timeout=120)
            stack.start([str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "16", "-b",
                         f"127.0.0.1:{port}", "lti_tool:create_app()"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.environ.update(stack.env)
            yield stack
        finally:
            stack.stop()
            shutil.rmtree(instance, ignore_errors=True)


def wait_for_port(base: str, seconds: float = 20) -> None:
    host, port = base.rsplit("/", 1)[-1].split(":")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing answers on {base}")

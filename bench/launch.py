"""Benchmark of complete LTI 1.3 launches (OIDC login + launch) against the tool served by gunicorn.

    .venv/bin/python bench/launch.py [--launches-c1 200] [--launches-c8 500] [--repeat 3] [--workers 2]
                                     [--port N] [--database-url postgresql://127.0.0.1:5432/test]

The bench process plays both the browser and the platform (demo site moodle-a): it posts the login initiation,
reads state and nonce from the tool's redirect, mints and signs the id_token itself (PlatformSimulator, PyJWT),
posts the launch, then follows the redirects to the page the user lands on, as a browser does: a launch is what a
user lives, up to the page. Only the tool runs in gunicorn, so the CPU time of its workers (from /proc) is the
tool's. The demo pathways are loaded, so learners land on their course's pathway; every user's first launch
(to the profile form) is measured apart, then the profiles are sent (not measured), and the phases below measure
returning users. A last phase measures the launch request alone (login + launch, no page).

The concurrency-8 phase runs `--repeat` times (500 launches each by default) and the headline figures are those of
the run with the median CPU: the reference machine is a 2-core VM whose host load inflates a process's CPU time
by up to half from one minute to the next (no steal time is reported), and one figure alone says as much about
the neighbours as about the tool. Every run is printed.

The temporary instance folder (and, with PostgreSQL, a dedicated schema) is created for the run and removed
afterwards. The output ends with, for the concurrency-8 phase:

    failed: N              (failed launches of the whole run, warm-up included)
    launches_per_s: N
    p95_ms: N
    cpu_ms_per_launch: N                (the whole launch: login, launch, redirects, the page)
    first_launch_cpu_ms: N              (a first launch, to the profile form)
    launch_request_cpu_ms: N            (login + launch alone)
    floor_cpu_ms_per_two_requests: N   (two bare Flask views of bench/_bare_app.py, same sizes, same gunicorn,
                                        measured at the end of the run: how loaded the machine was)

The exit code is 1 when any launch failed, 2 when the bench could not run.
"""
from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from lti_tool.demo_platform.simulator import DEMO_COURSES, DemoUser, PlatformSimulator  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
SITE = "moodle-a"
CLIENT_ID = "demo-client-a"
DEPLOYMENT_ID = "1"
HTTP_TIMEOUT = 10  # seconds, every request
COMMAND_TIMEOUT = 180  # seconds, each flask command
STARTUP_TIMEOUT = 60  # seconds, gunicorn answering /lti/jwks with all its workers
CLK_TCK = os.sysconf("SC_CLK_TCK")
WARMUP_LAUNCHES = 20
USER_COUNT = 500

GIVEN = ["Claire", "Karim", "Sophie", "Julien", "Amélie", "Thomas", "Hélène", "Marc", "Inès", "Paul"]
FAMILY = ["Martin", "Benali", "Laurent", "Petit", "Roux", "Moreau", "Garnier", "Dubois", "Nguyen", "Lefebvre"]


class BenchError(RuntimeError):
    pass


# -- the database ------------------------------------------------------------------------------------------------

class Database:
    """SQLite in the instance folder, or a dedicated PostgreSQL schema created now and dropped at the end."""

    def __init__(self, instance: Path, base_url: str | None):
        self.base_url = base_url
        self.schema: str | None = None
        if not base_url:
            self.url = f"sqlite:///{instance / 'bench.sqlite'}"
            self.label = "sqlite"
            return
        if not base_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            raise BenchError(f"--database-url: only postgresql:// URLs are supported, not {base_url!r}")
        if "options=" in base_url:
            raise BenchError("--database-url must not carry options=: the bench sets the search_path itself")
        self.schema = f"bench_launch_{os.getpid()}_{secrets.token_hex(4)}"
        separator = "&" if "?" in base_url else "?"
        self.url = f"{base_url}{separator}options=-csearch_path%3D{self.schema}"
        self.label = f"postgresql (schema {self.schema})"

    def _connect(self):
        import psycopg

        url = self.base_url.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(url, autocommit=True, connect_timeout=10)

    def create(self) -> None:
        if self.schema:
            with self._connect() as connection:
                connection.execute(f'CREATE SCHEMA "{self.schema}"')

    def drop(self) -> None:
        if self.schema:
            with self._connect() as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


# -- processes ------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_flask(env: dict, *args: str) -> str:
    command = [str(VENV_BIN / "flask"), "--app", "lti_tool", *args]
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(args)}: timed out after {COMMAND_TIMEOUT} s") from error
    if result.returncode != 0:
        raise BenchError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def read_stat(pid: int) -> tuple[int, int, int]:
    """(ppid, utime, stime) of a process, from /proc/<pid>/stat (comm may hold spaces and parentheses)."""
    with open(f"/proc/{pid}/stat") as handle:
        raw = handle.read()
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return int(fields[1]), int(fields[11]), int(fields[12])


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if read_stat(int(entry))[0] == pid:
                found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return sorted(found)


def cpu_ticks(pids: list[int]) -> tuple[int, int]:
    """(user, system) clock ticks of the processes, summed."""
    user = system = 0
    for pid in pids:
        _, utime, stime = read_stat(pid)
        user, system = user + utime, system + stime
    return user, system


class Gunicorn:
    def __init__(self, env: dict, port: int, workers: int, log_path: Path, app: str = "lti_tool:create_app()",
                 probe: str = "/lti/jwks", cwd: Path = ROOT):
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.app, self.probe, self.cwd = app, probe, cwd
        self.process: subprocess.Popen | None = None
        self.log = None

    def start(self) -> list[int]:
        self.log = open(self.log_path, "w")
        command = [str(VENV_BIN / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", self.app]
        self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        url = f"http://127.0.0.1:{self.port}{self.probe}"
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BenchError(f"gunicorn did not answer {url} within {STARTUP_TIMEOUT} s:\n{self.log_tail()}")
            try:
                if requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        # Every worker must have booted (imported the app), else its start-up CPU would land in a phase.
        while True:
            pids = children_of(self.process.pid)
            if len(pids) == self.workers and self.log_path.read_text().count("Booting worker") >= self.workers:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"expected {self.workers} gunicorn workers, found {pids}:\n{self.log_tail()}")
            time.sleep(0.2)
        return pids

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log is not None:
            self.log.close()


# -- the launches ---------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class PhaseResult:
    name: str
    concurrency: int
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0
    cpu_ms: float | None = None
    system_cpu_ms: float = 0.0  # the part spent in the kernel (mostly loopback TCP), included in cpu_ms
    bench_cpu_ms: float = 0.0  # this process (browser + platform), for context: it shares the machine
    note: str = ""

    @property
    def launches(self) -> int:
        return len(self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def launches_per_s(self) -> float:
        return self.launches / self.wall_seconds if self.wall_seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        """Nearest-rank percentile of the launch latencies, failures included."""
        values = sorted(outcome.seconds for outcome in self.outcomes)
        if not values:
            return 0.0
        rank = max(1, math.ceil(round(fraction * len(values), 6)))
        return values[min(rank, len(values)) - 1] * 1000

    @property
    def cpu_ms_per_launch(self) -> float:
        return (self.cpu_ms or 0.0) / self.launches if self.launches else 0.0


def make_users(count: int, prefix: str = "u") -> list[DemoUser]:
    users = []
    for number in range(1, count + 1):
        role = "Instructor" if number % 10 == 0 else "Learner"  # one instructor in ten
        family = f"{FAMILY[(number // 10) % len(FAMILY)]}{number}"
        profession = "infirmière" if role == "Learner" else "formateur"
        users.append(DemoUser(f"{prefix}{number}", GIVEN[number % len(GIVEN)], family, role, profession,
                              idnumber=f"{10_000_000_000 + number}"))
    return users


def request(base_url: str, method: str, path: str, form: dict | None = None,
            cookie: str = "") -> http.client.HTTPResponse:
    """One request on a connection of its own, as a browser does with a worker that closes after each answer."""
    address = urlsplit(base_url)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, urlencode(form) if form is not None else None, headers)
        response = connection.getresponse()
        response.body = response.read()
    finally:
        connection.close()
    return response


def post(base_url: str, path: str, form: dict, cookie: str = "") -> http.client.HTTPResponse:
    return request(base_url, "POST", path, form, cookie)


class Browser:
    """The cookie jar of one browser, for this tool only."""

    def __init__(self):
        self.jar = SimpleCookie()

    def keep(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            self.jar.load(header)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={morsel.coded_value}" for name, morsel in self.jar.items())


CSRF_FIELD = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Launcher:
    """One launch = a fresh browser (cookie jar) + the platform minting the id_token, both in this process. With
    `follow`, the launch goes on as the browser's does: the redirects are followed to the page the user lands on
    (the profile form on a learner's first launch, the pathway after). With `fill_profile`, a learner landing on
    the profile form also sends it (a set-up pass, not measured)."""

    def __init__(self, base_url: str, platform: PlatformSimulator, signing_key, users: list[DemoUser], *,
                 follow: bool = True, fill_profile: bool = False):
        self.base_url = base_url
        self.platform = platform
        self.signing_key = signing_key
        self.users = users
        self.follow = follow
        self.fill_profile = fill_profile
        self.launch_url = f"{base_url}/lti/launch"
        self._counter = 0
        self._lock = threading.Lock()
        self._random = random.Random(1303)

    def _next(self) -> tuple[DemoUser, object]:
        with self._lock:
            number = self._counter
            self._counter += 1
            course = self._random.choice(DEMO_COURSES)
        return self.users[number % len(self.users)], course

    def launch(self) -> Outcome:
        user, course = self._next()
        started = time.perf_counter()
        try:
            return self._launch(user, course, started)
        except Exception as error:  # noqa: BLE001 - any error is a failed launch, reported
            return Outcome(False, time.perf_counter() - started, f"{type(error).__name__}: {error}")

    def _launch(self, user: DemoUser, course, started: float) -> Outcome:
        # The browser is http.client, not requests: the load generator shares the two cores with the workers it
        # measures, and requests costs it about 2 ms a request (the workers' figures were up to 0.8 ms higher).
        browser = Browser()
        login = post(self.base_url, "/lti/login", {
            "iss": self.platform.issuer, "login_hint": user.id, "target_link_uri": self.launch_url,
            "lti_message_hint": f"{course.context_id}:{user.id}", "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id})
        if login.status != 302:
            return Outcome(False, time.perf_counter() - started, f"login {login.status}: {login.body[:300]!r}")
        location = login.getheader("Location", "")
        query = parse_qs(urlsplit(location).query)
        if not location.startswith(self.platform.auth_login_url) or "state" not in query or "nonce" not in query:
            return Outcome(False, time.perf_counter() - started, f"login redirect without state/nonce: {location}")
        state, nonce = query["state"][0], query["nonce"][0]
        browser.keep(login)  # every cookie the login set goes back with the launch
        # The platform's part, in this process. The key is parsed once: PyJWT would re-parse a PEM string on
        # every signature, which costs this process ~60 ms a token (cryptography's RSA key checks).
        claims = self.platform.launch_claims(user=user, course=course, nonce=nonce, target_link_uri=self.launch_url)
        id_token = self.platform.sign(claims, private_pem=self.signing_key)
        response = post(self.base_url, "/lti/launch", {"id_token": id_token, "state": state}, browser.cookie)
        home = urlsplit(response.getheader("Location", "")).path
        if response.status != 303 or not home.startswith(("/learner/", "/instructor/")):
            return Outcome(False, time.perf_counter() - started,
                           f"launch {response.status} -> {home or '-'}: {response.body[:300]!r}")
        expected = "/instructor/" if user.role == "Instructor" else "/learner/"
        if not home.startswith(expected):
            return Outcome(False, time.perf_counter() - started, f"launch of a {user.role} went to {home}")
        if not self.follow:
            return Outcome(True, time.perf_counter() - started)
        browser.keep(response)
        for _ in range(4):  # the browser follows the redirects to the page
            response = request(self.base_url, "GET", home, cookie=browser.cookie)
            browser.keep(response)
            if response.status != 303:
                break
            home = urlsplit(response.getheader("Location", "")).path
        elapsed = time.perf_counter() - started
        if response.status != 200:
            return Outcome(False, elapsed, f"landing {home}: {response.status} {response.body[:200]!r}")
        if self.fill_profile and home == "/learner/profile":
            token = CSRF_FIELD.search(response.body)
            sent = post(self.base_url, home, {"csrf_token": (token.group(1) or token.group(2)).decode(),
                                              "profession": "infirmier", "practice_mode": "liberal"}, browser.cookie)
            if sent.status != 303:
                return Outcome(False, elapsed, f"profile {sent.status}: {sent.body[:200]!r}")
        return Outcome(True, elapsed, home)


class BareLauncher:
    """The floor: the same two POSTs, of the same sizes, against two bare Flask views (bench/_bare_app.py)."""

    def __init__(self, base_url: str, id_token: str):
        self.base_url, self.id_token = base_url, id_token

    def launch(self) -> Outcome:
        started = time.perf_counter()
        try:
            login = post(self.base_url, "/login", {
                "iss": "https://moodle.example", "login_hint": "u1", "client_id": "c",
                "target_link_uri": "http://127.0.0.1/lti/launch", "lti_deployment_id": "1"})
            response = post(self.base_url, "/launch", {"id_token": self.id_token, "state": "s" * 90}, "lti1p3-state=s")
            ok = (login.status, response.status) == (302, 303)
            return Outcome(ok, time.perf_counter() - started, "" if ok else f"{login.status}/{response.status}")
        except Exception as error:  # noqa: BLE001
            return Outcome(False, time.perf_counter() - started, f"{type(error).__name__}: {error}")


def run_phase(name: str, launcher: Launcher | BareLauncher, count: int, concurrency: int, gunicorn: Gunicorn,
              pids: list[int]) -> PhaseResult:
    result = PhaseResult(name, concurrency)
    before = cpu_ticks(pids)
    bench_before = time.process_time()
    started = time.perf_counter()
    if concurrency == 1:
        result.outcomes = [launcher.launch() for _ in range(count)]
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="launch") as pool:
            result.outcomes = list(pool.map(lambda _: launcher.launch(), range(count)))
    result.wall_seconds = time.perf_counter() - started
    result.bench_cpu_ms = (time.process_time() - bench_before) * 1000.0
    now = gunicorn.worker_pids()
    if now != pids:
        result.note = f"worker set changed during the phase ({pids} -> {now}): CPU figure unreliable"
        result.cpu_ms = None
    else:
        user, system = (after - start for after, start in zip(cpu_ticks(pids), before))
        result.cpu_ms = (user + system) * 1000.0 / CLK_TCK
        result.system_cpu_ms = system * 1000.0 / CLK_TCK
    return result


def print_phase(result: PhaseResult) -> None:
    cpu = f"{result.cpu_ms_per_launch:.2f}" if result.cpu_ms is not None else "n/a"
    print(f"{result.name}: concurrency {result.concurrency}, {result.launches} launches, "
          f"{len(result.failures)} failed, {result.wall_seconds:.2f} s")
    print(f"    launches/s {result.launches_per_s:.2f}   p50 {result.percentile_ms(0.50):.2f} ms   "
          f"p95 {result.percentile_ms(0.95):.2f} ms   max {result.percentile_ms(1.0):.2f} ms   "
          f"tool CPU {cpu} ms/launch (workers' utime+stime, of which system "
          f"{result.system_cpu_ms / max(1, result.launches):.2f}; {CLK_TCK} ticks/s)   "
          f"bench CPU {result.bench_cpu_ms / max(1, result.launches):.2f} ms/launch (browser + platform)")
    if result.note:
        print(f"    NOTE: {result.note}")
    shown = {}
    for failure in result.failures:
        shown.setdefault(failure.detail, 0)
        shown[failure.detail] += 1
    for detail, times in list(shown.items())[:5]:
        print(f"    failure x{times}: {detail}")


# -- the run --------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches-c1", type=int, default=200, help="launches at concurrency 1 (phase A)")
    parser.add_argument("--launches-c8", type=int, default=500, help="launches at concurrency 8 (phase B)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of phase B; the median one is the headline")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL, e.g. postgresql://127.0.0.1:5432/test (a throw-away schema is "
                             "created in it); default: SQLite in the temporary instance folder")
    parser.add_argument("--port", type=int, default=None, help="port for gunicorn (default: a free one)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder (debugging)")
    args = parser.parse_args(argv)
    if args.launches_c1 < 0 or args.launches_c8 < 1 or args.workers < 1 or args.repeat < 1:
        parser.error("--launches-c8, --repeat and --workers must be at least 1, --launches-c1 at least 0")
    return args


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so that the finally clauses clean up


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    instance = Path(tempfile.mkdtemp(prefix="bench-launch-"))
    database = None
    gunicorn = None
    schema_created = False
    try:
        database = Database(instance, args.database_url)
        env = dict(os.environ, DATABASE_URL=database.url, LTI_TOOL_INSTANCE_PATH=str(instance), DEMO_PLATFORM="1",
                   LTI_ALLOW_HTTP_PLATFORMS="1", PUBLIC_BASE_URL=base_url, PYTHONUNBUFFERED="1")
        for name in ("REDIS_URL", "SECRET_KEY", "TRUST_PROXY_HEADERS", "FLASK_APP"):
            env.pop(name, None)
        database.create()
        schema_created = True
        print(f"instance {instance}, database {database.label}, {base_url}, {args.workers} workers, "
              f"nproc {os.cpu_count()}", flush=True)
        run_flask(env, "db", "upgrade")
        run_flask(env, "lti", "keys", "ensure")
        print(run_flask(env, "lti-demo", "setup", "--base-url", base_url), flush=True)
        print(run_flask(env, "lti-demo", "seed"), flush=True)  # a published pathway in each course: learners land on it

        private_pem = (instance / "demo_platform" / f"{SITE}.pem").read_text()
        platform = PlatformSimulator(issuer=f"{base_url}/demo/{SITE}", client_id=CLIENT_ID,
                                     deployment_id=DEPLOYMENT_ID, private_pem=private_pem)
        signing_key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        users = make_users(USER_COUNT)
        launcher = Launcher(base_url, platform, signing_key, users)

        gunicorn = Gunicorn(env, port, args.workers, instance / "gunicorn.log")
        pids = gunicorn.start()
        print(f"gunicorn master {gunicorn.process.pid}, workers {pids}", flush=True)

        # Each worker reads the platform's keys once, from the demo platform it serves itself: one launch at a time
        # first (two sync workers fetching from each other at once would wait on each other), by users of their own.
        warm = run_phase("warm-up", Launcher(base_url, platform, signing_key, make_users(WARMUP_LAUNCHES, "w")),
                         WARMUP_LAUNCHES, 1, gunicorn, pids)
        if warm.failures:
            print_phase(warm)
        # Every user's first launch lands on the profile form (learners) or the course dashboard (instructors).
        first = run_phase("first launches (to the profile form)", Launcher(base_url, platform, signing_key, users),
                          len(users), 8, gunicorn, pids)
        print_phase(first)
        setup = run_phase("set-up: profiles sent", Launcher(base_url, platform, signing_key, users,
                                                            fill_profile=True), len(users), 8, gunicorn, pids)
        if setup.failures:
            print_phase(setup)
        results = [warm, first, setup]
        if args.launches_c1:
            results.append(run_phase("phase A", launcher, args.launches_c1, 1, gunicorn, pids))
            print_phase(results[-1])
        runs = []
        for number in range(1, args.repeat + 1):
            name = "phase B" if args.repeat == 1 else f"phase B, run {number}/{args.repeat}"
            runs.append(run_phase(name, launcher, args.launches_c8, 8, gunicorn, pids))
            print_phase(runs[-1])
        results.extend(runs)
        # The launch request alone (login + launch, no page), as earlier benches measured it.
        alone = run_phase("launch requests only", Launcher(base_url, platform, signing_key, users, follow=False),
                          args.launches_c8, 8, gunicorn, pids)
        print_phase(alone)
        results.append(alone)

        failed = sum(len(result.failures) for result in results)
        if failed:
            print(f"gunicorn log (tail):\n{gunicorn.log_tail(20)}")
        gunicorn.stop()

        # The floor, measured now on the same machine: what gunicorn + Flask cost for two such requests.
        sample = platform.sign(platform.launch_claims(user=launcher.users[0], course=DEMO_COURSES[0], nonce="n" * 22,
                                                      target_link_uri=launcher.launch_url), private_pem=signing_key)
        bare_port = free_port()
        bare = Gunicorn(env, bare_port, args.workers, instance / "gunicorn-bare.log", app="bench._bare_app:app",
                        probe="/ping")
        bare_pids = bare.start()
        try:
            bare_launcher = BareLauncher(f"http://127.0.0.1:{bare_port}", sample)
            run_phase("floor warm-up", bare_launcher, WARMUP_LAUNCHES, 1, bare, bare_pids)
            floor = run_phase("floor", bare_launcher, args.launches_c8, 8, bare, bare_pids)
        finally:
            bare.stop()
        print(f"floor: two bare Flask requests of the same sizes under the same gunicorn, concurrency 8: "
              f"{floor.cpu_ms_per_launch:.2f} ms CPU per pair, {len(floor.failures)} failed")
        measured = sorted(runs, key=lambda run: math.inf if run.cpu_ms is None else run.cpu_ms_per_launch)
        phase_b = measured[(len(measured) - 1) // 2]
        if args.repeat > 1:
            print(f"headline: {phase_b.name} (median CPU of {args.repeat}; runs "
                  + ", ".join(f"{run.cpu_ms_per_launch:.2f}" for run in runs if run.cpu_ms is not None) + " ms)")
        print(f"failed: {failed}")
        print(f"launches_per_s: {phase_b.launches_per_s:.2f}")
        print(f"p95_ms: {phase_b.percentile_ms(0.95):.2f}")
        print(f"cpu_ms_per_launch: {phase_b.cpu_ms_per_launch:.2f}" if phase_b.cpu_ms is not None
              else "cpu_ms_per_launch: nan")
        print(f"first_launch_cpu_ms: {first.cpu_ms_per_launch:.2f}" if first.cpu_ms is not None
              else "first_launch_cpu_ms: nan")
        print(f"launch_request_cpu_ms: {alone.cpu_ms_per_launch:.2f}" if alone.cpu_ms is not None
              else "launch_request_cpu_ms: nan")
        print(f"floor_cpu_ms_per_two_requests: {floor.cpu_ms_per_launch:.2f}")
        return 1 if failed else 0
    except BenchError as error:
        print(f"bench error: {error}", file=sys.stderr)
        return 2
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        if database is not None and schema_created:
            try:
                database.drop()
            except Exception as error:  # noqa: BLE001 - report, and go on cleaning
                print(f"could not drop schema {database.schema}: {error}", file=sys.stderr)
        if args.keep:
            print(f"kept {instance}", file=sys.stderr)
        else:
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Helpers of the IAM benchmark: Django in the bench process, logged-in sessions, figures, an HTTP load loop.

The bench process talks to the bench database through Django (``django_setup``); the HTTP measurements go to a
separate server process on 127.0.0.1, so that the clients' time is not the server's.
"""

from __future__ import annotations

import http.client
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def django_setup(url: str, var_dir: str) -> None:
    """Django in this process, on the bench database, without DEBUG (no query log, real error pages), with
    the connection pool."""
    os.environ["DATABASE_URL"] = url
    os.environ["KMOP_VAR_DIR"] = var_dir
    os.environ["KMOP_DEBUG"] = "false"
    # the connection pool, as in production (docs/operations.md) and as the bench's gunicorn runs
    os.environ.setdefault("KMOP_DB_POOL", "true")
    os.environ.setdefault("KMOP_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmop.conf.settings")
    import atexit

    import django

    django.setup()
    from django.db import connection

    if getattr(connection, "pool", None) is not None:
        atexit.register(connection.close_pool)  # type: ignore[attr-defined]  # else its threads hold the exit up


class TrustingActingMiddleware:
    """The floor of the per-request check: ``ActingOrganisationMiddleware`` without its query. It trusts the
    roles the session kept at "aanmelden als" and sets ``request.acting`` from them, so that the page renders
    exactly as with the check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from kmop.acm import session as keys
        from kmop.acm.session import Acting

        request.acting = None  # type: ignore[attr-defined]
        session = request.session
        organisation_id = session.get(keys.ORG_ID)
        user = request.user
        if organisation_id is not None and user.is_authenticated:
            request.acting = Acting(  # type: ignore[attr-defined]
                user=user,
                national_number=getattr(user, "national_number", ""),
                organisation_id=organisation_id,
                organisation_code=session.get(keys.ORG_CODE, ""),
                organisation_name=session.get(keys.ORG_NAME, ""),
                roles=tuple(session.get(keys.ROLES, ())),
                acr=session.get(keys.ACR, ""),
                method=session.get(keys.METHOD, ""),
            )
        return self.get_response(request)


CHECK_MIDDLEWARE = "kmop.acm.middleware.ActingOrganisationMiddleware"
TRUSTING_MIDDLEWARE = "bench.iam_common.TrustingActingMiddleware"


def acting_session(national_number: str, organisation_id: int) -> str:
    """A logged-in session (eID) acting for the organisation, as after "aanmelden als"; returns
    its key (the value of the session cookie)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from kmop.acm import session as keys
    from kmop.acm.methods import METHODS_BY_CODE
    from kmop.acm.models import User
    from kmop.acm.selectors import acting_roles
    from kmop.idm.models import Organisation

    user = User.objects.filter(national_number=national_number).first()
    if user is None:
        user = User(username=national_number, national_number=national_number)
        user.set_unusable_password()
        user.save()
    organisation = Organisation.objects.get(pk=organisation_id)
    roles = acting_roles(national_number, organisation_id)
    if not roles:
        raise SystemExit(f"{national_number} may not act for {organisation.code}")
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    eid = METHODS_BY_CODE["eid"]
    store[keys.ACR] = eid.acr
    store[keys.METHOD] = eid.code
    store[keys.LOGIN_AT] = timezone.now().timestamp()
    store[keys.ORG_ID] = organisation.pk
    store[keys.ORG_CODE] = organisation.code
    store[keys.ORG_NAME] = organisation.name
    store[keys.ROLES] = list(roles)
    store.create()
    assert store.session_key is not None
    return store.session_key


@dataclass
class Timings:
    """Seconds per request."""

    seconds: list[float]
    wall: float = 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 95) * 1000

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.wall if self.wall else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class HttpClient:
    """One client (a browser) with its own session cookie; a new connection per request (``Connection:
    close``: the development server answers a reused connection only after the peer's delayed ACK, 40 ms)."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.headers = {
            "Cookie": cookie,
            "Accept": "text/html",
            "Accept-Language": "nl",
            "Connection": "close",
        }

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def http_load(clients: Sequence[HttpClient], paths: Sequence[str], requests: int) -> Timings:
    """``requests`` GETs spread over the clients, each client one request at a time (closed loop), all
    clients at once; the paths are taken in turn. Every answer must be 200."""
    lock = threading.Lock()
    counter = iter(range(requests))
    seconds: list[float] = []
    failures: list[str] = []

    def run(client: HttpClient) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            path = paths[i % len(paths)]
            start = time.perf_counter()
            status, _ = client.get(path)
            elapsed = time.perf_counter() - start
            with lock:
                seconds.append(elapsed)
                if status != 200:
                    failures.append(f"{path}: {status}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for future in [pool.submit(run, c) for c in clients]:
            future.result()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return Timings(seconds, wall)


@dataclass
class Load:
    """What a load generator measured: requests, their rate, the median and p95 of their latency."""

    tool: str
    requests: int
    rate: float
    median_ms: float
    p95_ms: float

    @classmethod
    def of(cls, tool: str, timings: Timings) -> Load:
        return cls(tool, len(timings.seconds), timings.rate, timings.median_ms, timings.p95_ms)


#: how to get wrk, the C load generator the HTTP measurements use when it is there
WRK_INSTALL = "apt-get install wrk (Debian/Ubuntu; brew install wrk on macOS)"


def wrk_path() -> str | None:
    import shutil

    return shutil.which("wrk")


_WRK_SCRIPT = """
local paths = {%(paths)s}
local cookies = {%(cookies)s}
local threads = {}
local counter = 0
bad = 0

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter %% #paths + 1], {
    ["Cookie"] = cookies[counter %% #cookies + 1],
    ["Accept"] = "text/html",
    ["Accept-Language"] = "nl",
  })
end

function delay()
  return %(think_ms)d
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("bad") end
  io.write(string.format("KMOP %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def http_load_wrk(
    port: int,
    cookies: Sequence[str],
    paths: Sequence[str],
    seconds: float,
    threads: int = 2,
    think_ms: int = 0,
) -> Load:
    """``wrk`` (C, event loop, no GIL): ``len(cookies)`` connections, each one request at a time, the paths
    and sessions taken in turn, for ``seconds``; ``think_ms``: each client's pause after an answer before
    its next request (0: none, the server saturated). Its latency is from the request's first byte to the
    answer's last. Every answer must be 200."""
    import subprocess
    import tempfile

    def lua(values: Sequence[str]) -> str:
        return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)

    script = _WRK_SCRIPT % {"paths": lua(paths), "cookies": lua(cookies), "think_ms": think_ms}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [
            wrk_path() or "wrk",
            "-t",
            str(min(threads, len(cookies))),
            "-c",
            str(len(cookies)),
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            file.name,
            f"http://127.0.0.1:{port}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((row for row in done.stdout.splitlines() if row.startswith("KMOP ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    requests, duration_us, p50_us, p95_us, failed, errors = (int(v) for v in line.split()[1:])
    if failed or errors:
        raise SystemExit(f"wrk: {failed} answers other than 200 and {errors} socket errors")
    return Load("wrk", requests, requests / (duration_us / 1e6), p50_us / 1000, p95_us / 1000)


def _client_process(
    port: int, cookie: str, paths: Sequence[str], count: int, offset: int, think: float, out: Any
) -> None:
    """One client of ``http_load_processes``: its own process, one keep-alive-less request at a time."""
    client = HttpClient(port, cookie)
    seconds: list[float] = []
    failures = 0
    for i in range(count):
        if think and i:
            time.sleep(think)  # the user reading the page before the next click (load shape, not a sync)
        path = paths[(offset + i) % len(paths)]
        start = time.perf_counter()
        status, _ = client.get(path)
        seconds.append(time.perf_counter() - start)
        failures += status != 200
    out.send((seconds, failures))
    out.close()


def http_load_processes(
    port: int, cookies: Sequence[str], paths: Sequence[str], requests: int, think_ms: int = 0
) -> Load:
    """The load generator without wrk: one process per client (no GIL between them), each ``requests //
    len(cookies)`` requests one at a time with ``http.client``, ``think_ms`` apart."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    per_client = max(1, requests // len(cookies))
    pipes = []
    processes = []
    for n, cookie in enumerate(cookies):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_client_process, args=(port, cookie, paths, per_client, n, think_ms / 1000, send)
        )
        pipes.append(receive)
        processes.append(process)
    started = time.perf_counter()
    for process in processes:
        process.start()
    seconds: list[float] = []
    failures = 0
    for receive in pipes:
        got, failed = receive.recv()
        seconds += got
        failures += failed
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    if failures:
        raise SystemExit(f"{failures} requests failed")
    return Load.of("processes", Timings(seconds, wall))


def wait_for_server(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server on port {port} did not answer /health/ in {timeout:.0f} s")
        time.sleep(0.2)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class QueryCounter:
    """Counts the statements Django sends on the default connection (``with QueryCounter() as q: ...``)
    and keeps the last one with its parameters. Unlike ``CaptureQueriesContext`` it is not reset by the
    ``request_started`` signal of the test client."""

    def __init__(self) -> None:
        self.count = 0
        self.last: tuple[str, Any] = ("", None)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        self.last = (sql, params)
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCounter:
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._wrapper.__exit__(*exc)


def explain(sql: str, params: Any = None) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a statement on the bench database: the plan's lines."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [row[0] for row in cursor.fetchall()]

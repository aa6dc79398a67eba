"""Shared helpers for the benchmarks: the bench database, subprocess timing, peak memory, reports."""

from __future__ import annotations

import compileall
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("KMOP_VAR_DIR", REPO / "var"))
BENCH_DIR = VAR / "bench"
KMOP = str(REPO / ".venv" / "bin" / "kmop")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kmop_bench"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def sibling_url(suffix: str) -> str:
    """The URL of the database ``<bench database>_<suffix>`` on the bench database's server (a URL, not a
    libpq keyword string: ``kmop`` reads it as ``DATABASE_URL``)."""
    info = psycopg.conninfo.conninfo_to_dict(database_url())
    name = f"{info.get('dbname') or 'kmop_bench'}_{suffix}"
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgres://{user}{password}@{info.get('host') or '127.0.0.1'}:{info.get('port') or 5432}/{name}"


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist (PostgreSQL only)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.get("dbname")
    if not name:
        raise SystemExit("BENCH_DATABASE_URL must name a database")
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))


def kmop_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["KMOP_VAR_DIR"] = str(VAR)
    env.setdefault("KMOP_LOG_LEVEL", "WARNING")
    # As in production: DEBUG keeps every SQL statement of a command in memory, with its timing.
    env.setdefault("KMOP_DEBUG", "false")
    return env


def compile_sources() -> None:
    """The project's modules compiled to bytecode, as an installed package's are (pip compiles what it
    installs): a measured command then starts as in production, instead of compiling its ~90 modules from
    source on every start (0.2 s of the KBO update) where the environment sets PYTHONDONTWRITEBYTECODE."""
    compileall.compile_dir(REPO / "src", quiet=1)


@dataclass
class RunResult:
    seconds: float
    max_rss_mb: float
    output: str


def run_measured(args: list[str], env: dict[str, str]) -> RunResult:
    """Run a command, return wall time and the peak resident memory of that process (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, rusage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(output)
        raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return RunResult(seconds=seconds, max_rss_mb=rusage.ru_maxrss / 1024, output=output)


def machine_description(url: str | None = None) -> str:
    """The machine and the PostgreSQL server (of ``url``, default the bench database) for a report."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(url or database_url()) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg = row[0] if row else "?"
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {pg}"
    )


def stop_server(server: subprocess.Popen[str]) -> None:
    """Stop a benchmark's server process (gunicorn): terminate, kill after 10 s, and show the end of its
    error output when it did not stop cleanly."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    if server.returncode not in (0, -15, None) and server.stderr is not None:
        sys.stderr.write(server.stderr.read()[-2000:])


def give_right(
    organisation: Any, number: str, right_code: str, value: str, *, category: str, email: str, label: str
) -> None:
    """The Gebruikersbeheer's three steps, by the system: the person of the national register with this
    number, a work relation in ``organisation`` and a grant of the right with the context value ``value``
    (the benchmarks' users who act through a right: staff, a sole trader in the e-loket)."""
    from kmop.audit.services import Actor
    from kmop.idm import services as idm

    actor = Actor.system(label)
    person = idm.person_add_by_number(actor=actor, organisation=organisation, number=number)
    relation = idm.work_relation_create(
        actor=actor,
        person=person,
        organisation=organisation,
        category=category,
        email=email,
        phone="+3292223344",
    )
    idm.right_grant_create(actor=actor, work_relation=relation, right_code=right_code, context_values=[value])


def write_report(name: str, text: str) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = BENCH_DIR / f"{name}.md"
    path.write_text(f"<!-- {stamp} -->\n{text}")
    return path

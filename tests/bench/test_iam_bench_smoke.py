"""The IAM benchmark must keep working: run it at a tiny scale on PostgreSQL (figures are not asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_iam_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_iam_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    args = [
        "--scale",
        "400",
        "--requests",
        "10",
        "--search-requests",
        "16",
        "--search-seconds",
        "2",
        "--clients",
        "2",
        "--repeats",
        "1",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "iam", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## IAM (400 enterprises: 600 persons" in out
    assert "check cost (median with − median without)" in out
    assert "extra queries per request: **1**" in out
    assert "reminder pass: **" in out
    assert "the floor (target ≤ 3×)" in out
    assert "p95 at 2 concurrent clients" in out
    assert "the floor's p95" in out
    assert "Load generator: " in out  # wrk, or one Python process per client without it
    assert "pausing 1 s after each answer" in out
    assert "server median" in out  # the server's own time, from gunicorn's access log
    report = (tmp_path / "bench" / "iam.md").read_text()
    assert report.count("Execution Time") == 3  # the plans of the check, the reminder floor and the search

"""The projects benchmark must keep working: run it at a tiny scale on PostgreSQL (figures are not asserted).

Every part runs: the submission against its floor, the ondernemingsfoto over HTTP (short wrk runs) and the
daily deadline pass; the data is seeded on the first run and reused while it is of today.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_projects_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_projects_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_PROJECTS_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    args = [
        "--scale",
        "2000",
        "--applications",
        "4",
        "--concurrency",
        "2",
        "--requests",
        "16",
        "--clients",
        "2",
        "--foto-seconds",
        "1",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "projects", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## Projects (2,000 enterprises: " in out
    assert "### Application submission" in out
    assert "- hot: **" in out
    assert "- spread: **" in out
    assert "### Ondernemingsfoto" in out
    assert "p95 at 2 concurrent clients: **" in out
    assert "statements for the enterprise with the most projects" in out
    assert "### Daily deadline pass" in out
    assert "- target: the pass under 30 s" in out
    assert (tmp_path / "bench" / "projects.md").read_text().count("### ") == 3

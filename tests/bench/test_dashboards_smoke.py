"""The back office dashboards' benchmark must keep working: run it at a tiny scale on PostgreSQL (figures are
not asserted): the portal's synthetic data in a database of its own, spread, the summary of closed days, the
snapshot of the year budgets, every measurement against its floors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_dashboards_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_dashboards_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_DASHBOARDS_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench", "dashboards", "--projects", "20000", "--large", "300", "--runs", "3"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## Back office dashboards (issue 6)" in out
    assert "| floor: `SELECT 1` |" in out
    assert "whole page" in out
    assert "Target: the page under 300 ms" in out
    assert (tmp_path / "bench" / "dashboards.md").exists()

"""The benchmark itself must keep working: run it at a tiny scale on PostgreSQL (figures are not asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_kbo_import_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench", "kbo_import", "--scale", "300", "--runs", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "## KBO import (300 enterprises)" in result.stdout
    assert "full import rows/s as a share of the raw COPY's" in result.stdout
    assert "update import time as a share of the full import's" in result.stdout
    report = tmp_path / "bench" / "kbo_import.md"
    table = report.read_text()
    assert "| 1 | " in table
    assert "| 2 | " in table
    assert "| 3 | " not in table

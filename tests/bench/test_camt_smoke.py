"""The camt.053 import benchmark must keep working: run it at a tiny scale on PostgreSQL (figures are not
asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_camt_import_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_camt_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench", "camt_import", "--entries", "40", "--wrong-every", "10"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## camt.053 import (40 entries" in out
    assert "| import_statement | " in out
    # entries 0, 10, 20, 30 with a wrong amount, 11, 21, 31 with an unknown reference: refunded
    assert "33 deposits, 7 refunds" in out
    assert "40 already booked, nothing booked" in out  # the same file again
    assert "measured at 100,000 only" in out
    assert (tmp_path / "bench" / "camt053_40.xml").exists()
    assert (tmp_path / "bench" / "camt_import.md").exists()

"""The providers' portal benchmark must keep working: run it at a tiny scale on PostgreSQL (figures are not
asserted).

Every part runs: the synthetic data (a database of its own), the overview over HTTP with every filter
combination against its floor (short wrk runs), each URL in-process, the plans and the exports.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_portal_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_portal_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_PORTAL_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    args = ["--synthetic", "--projects", "20000", "--large", "300", "--clients", "2", "--seconds", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "portal", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## Providers' portal: project overview and export (20,000 projects, 20,000 providers)" in out
    assert "### Overzicht projecten" in out
    assert "p95 at 2 concurrent clients: **" in out
    assert "| `/dienstverlener/projecten/` | " in out
    assert "Plans of the page's statement" in out
    assert "### Export" in out
    assert "| CSV in-process (test client) | 300 |" in out
    assert "- target: 50,000 rows streamed in < 5 s with flat memory" in out
    assert (tmp_path / "bench" / "portal.md").read_text().count("### ") == 2

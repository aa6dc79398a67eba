"""The search benchmark must keep working: run it with a few hundred providers on PostgreSQL (figures are not
asserted). Its data is written on the first run and reused while it is of today."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_search_benchmark_runs_end_to_end(tmp_path: Path, worker_id: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER'] or 'postgres'}@{host}/kmop_search_bench_smoke_{worker_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "BENCH_SEARCH_DATABASE_URL": url})
    env.pop("DATABASE_URL", None)
    args = ["--providers", "300", "--clients", "2", "--seconds", "1", "--requests", "16"]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "search", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "## Zoek een dienstverlener (300 providers)" in out
    for kind in ("name", "service + postcode + distance", "field of expertise", "municipality"):
        assert f"| {kind} (`?" in out  # in-process
        assert f"| {kind} | " in out  # over HTTP
    assert "p95 at 2 concurrent clients, typical searches mixed: **" in out
    assert "providers with a registration valid today" in out
    assert (tmp_path / "bench" / "search.md").read_text().count("## Zoek een dienstverlener") == 1

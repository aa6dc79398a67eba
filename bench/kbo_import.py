"""KBO import on PostgreSQL: full and update extract, against a raw COPY of the same CSV files.

Floor: the same CSV members, streamed from the same zip into ``COPY ... FROM STDIN (FORMAT csv, HEADER)``
of unindexed tables with the same column types, in one transaction. Feature: ``kmop import_kbo`` (parse,
validate every number, date and code, load, index, record the extract), run as its own process so that its
peak memory is measured alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import zipfile
from pathlib import Path

import psycopg

from bench.common import (
    BENCH_DIR,
    KMOP,
    RunResult,
    compile_sources,
    database_url,
    ensure_database,
    kmop_env,
    machine_description,
    run_measured,
    write_report,
)

FLOOR_TABLES: dict[str, str] = {
    "meta": "variable text, value text",
    "code": "category text, code text, language text, description text",
    "enterprise": "enterprise_number text, status text, juridical_situation text, type_of_enterprise text, "
    "juridical_form text, juridical_form_cac text, start_date date",
    "establishment": "establishment_number text, start_date date, enterprise_number text",
    "denomination": "entity_number text, language text, type_of_denomination text, denomination text",
    "address": "entity_number text, type_of_address text, country_nl text, country_fr text, zipcode text, "
    "municipality_nl text, municipality_fr text, street_nl text, street_fr text, house_number text, "
    "box text, extra_address_info text, date_striking_off date",
    "contact": "entity_number text, entity_contact text, contact_type text, value text",
    "activity": "entity_number text, activity_group text, nace_version text, nace_code text, "
    "classification text",
    "branch": "id text, start_date date, enterprise_number text",
}
CHUNK = 1 << 20


def make_extracts(scale: int, env: dict[str, str]) -> tuple[Path, Path, float]:
    """Generate (or reuse) the full and the update extract of the synthetic register."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    full = BENCH_DIR / f"KboOpenData_0001_bench_{scale}_Full.zip"
    update = BENCH_DIR / f"KboOpenData_0002_bench_{scale}_Update.zip"
    seconds = 0.0
    if not full.exists():
        seconds += run_measured(
            [KMOP, "make_kbo_extract", "--skip-checks", "--scale", str(scale), str(full)], env
        ).seconds
    if not update.exists():
        seconds += run_measured(
            [KMOP, "make_kbo_extract", "--skip-checks", "--scale", str(scale), "--update", str(update)], env
        ).seconds
    return full, update, seconds


def data_rows(path: Path) -> dict[str, int]:
    """Data rows per CSV member (lines minus header; the synthetic data has no embedded newlines)."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".csv"):
                continue
            lines = 0
            with archive.open(name) as member:
                while chunk := member.read(CHUNK):
                    lines += chunk.count(b"\n")
            counts[name] = max(lines - 1, 0)
    return counts


def floor_copy(path: Path, url: str) -> float:
    """Raw COPY of every CSV member into unindexed tables; returns seconds."""
    with psycopg.connect(url) as conn:
        conn.execute("SET datestyle = 'ISO, DMY'")
        for table, columns in FLOOR_TABLES.items():
            conn.execute(f"DROP TABLE IF EXISTS floor_{table}")
            conn.execute(f"CREATE TABLE floor_{table} ({columns})")
        conn.commit()
        start = time.perf_counter()
        with zipfile.ZipFile(path) as archive, conn.cursor() as cur:
            for name in archive.namelist():
                table = Path(name).stem
                if table not in FLOOR_TABLES:
                    continue
                with (
                    archive.open(name) as member,
                    cur.copy(f"COPY floor_{table} FROM STDIN (FORMAT csv, HEADER true)") as copy,
                ):
                    while chunk := member.read(CHUNK):
                        copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - start
        for table in FLOOR_TABLES:
            conn.execute(f"DROP TABLE floor_{table}")
        conn.commit()
    return seconds


def checkpoint(url: str) -> None:
    """Each measurement starts from a checkpoint and a sync: the previous one's dirty pages are written
    before, not during, the next (outside the timed part), by PostgreSQL to the files and by the kernel to
    the disk (its write-back of a full import's gigabytes otherwise runs into the next measurement)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


def reset_register(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "TRUNCATE registers_kbocode, registers_enterprise, registers_establishment, registers_branch, "
            "registers_denomination, registers_address, registers_contact, registers_activity, "
            "registers_kboextract"
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:  # VACUUM cannot run inside a transaction
        conn.execute("VACUUM ANALYZE")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_KBO_SCALE", "2000000")))
    parser.add_argument(
        "--runs", type=int, default=3, help="floor, full import and update, this many times in turn (median)"
    )
    args = parser.parse_args(argv)
    url = database_url()
    ensure_database(url)
    env = kmop_env(url)
    compile_sources()
    run_measured([KMOP, "migrate", "--no-input", "-v0", "--skip-checks"], env)

    full, update, gen_seconds = make_extracts(args.scale, env)
    full_rows = sum(data_rows(full).values())
    update_rows = sum(data_rows(update).values())

    runs: list[tuple[float, RunResult, RunResult]] = []
    for _ in range(max(args.runs, 1)):
        reset_register(url)
        checkpoint(url)
        floor_s = floor_copy(full, url)
        # --skip-checks: Django's system checks (URLs, templates of the whole project) are not part of the
        # import, and a half-finished app elsewhere must not stop the benchmark.
        checkpoint(url)
        imported = run_measured([KMOP, "import_kbo", "--skip-checks", "--no-progress", str(full)], env)
        checkpoint(url)
        updated = run_measured([KMOP, "import_kbo", "--skip-checks", "--no-progress", str(update)], env)
        runs.append((floor_s, imported, updated))
    shares = [floor_s / imported.seconds for floor_s, imported, _ in runs]  # rows/s over rows/s, same rows
    update_shares = [updated.seconds / imported.seconds for _, imported, updated in runs]
    peak = max(max(imported.max_rss_mb, updated.max_rss_mb) for _, imported, updated in runs)

    lines = [
        f"## KBO import ({args.scale:,} enterprises)",
        "",
        f"Machine: {machine_description()}",
        "",
        f"Full extract {full_rows:,} rows, update extract {update_rows:,} rows; {len(runs)} runs, each the "
        "floor, the full import into an emptied register and the update, in that order.",
        "",
        "| run | floor: raw COPY | `kmop import_kbo` full | share of the floor's rows/s | update | "
        "update / full | peak memory full, update |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, ((floor_s, imported, updated), share, update_share) in enumerate(
        zip(runs, shares, update_shares, strict=True), start=1
    ):
        lines.append(
            f"| {number} | {floor_s:.1f} s | {imported.seconds:.1f} s ({full_rows / imported.seconds:,.0f} "
            f"rows/s) | {share:.0%} | {updated.seconds:.1f} s | {update_share:.1%} | "
            f"{imported.max_rss_mb:.0f} MB, {updated.max_rss_mb:.0f} MB |"
        )
    lines += [
        "",
        f"- full import rows/s as a share of the raw COPY's: **{statistics.median(shares):.0%}** median, "
        f"{min(shares):.0%}–{max(shares):.0%} (target ≥ 50 %)",
        f"- update import time as a share of the full import's: **{statistics.median(update_shares):.1%}** "
        f"median, {min(update_shares):.1%}–{max(update_shares):.1%} (target < 10 %)",
        f"- peak memory of the importer: **{peak:.0f} MB** (target < 300 MB)",
        f"- extracts generated in {gen_seconds:.0f} s (0 = reused from `{BENCH_DIR.name}/`)",
        "",
    ]
    report = "\n".join(lines)
    write_report("kbo_import", report)
    return report


if __name__ == "__main__":
    print(main())

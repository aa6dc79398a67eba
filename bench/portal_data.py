"""The data of ``bench/portal.py``: one large provider with 50,000 projects in the last two calendar years
among 1.5 M projects of 20,000 providers.

Two ways:

* **reuse** the projects benchmark's database (``BENCH_PROJECTS_DATABASE_URL``, ``kmop seed --scale 2000000``)
  when it holds projects: the provider with the most projects in the last two years gets projects of other
  providers of those years moved to its registrations (``registration_id`` only: the rest of each project
  stays as seeded) until it has ``--large`` of them; recorded in the audit (``bench.portal.large_provider``)
  so a second run finds it.
* **synthetic** (no such database, or ``--synthetic``): a database of its own (``BENCH_PORTAL_DATABASE_URL``,
  default ``<bench database>_portal``), migrated, filled set-based with ``INSERT ... SELECT generate_series``
  in one transaction: 80,000 organisations (60,000 applicant enterprises and 20,000 providers), 20,000
  providers with a registration for opleiding and one for advies, 1.5 M projects since 1 April 2016 spread
  over them (statuses, amounts and enterprises spread, numbers ``YYYYKMO`` + 6 digits per year), of which
  ``--large`` in the last two calendar years belong to provider 1, scattered among the others (every few rows
  of those years, as in real life, not one contiguous block). Then ``VACUUM ANALYZE``. Deterministic; reused
  while it holds that population.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

LARGE = 50_000
PROJECTS = 1_500_000
PROVIDERS = 20_000
ENTERPRISES = 60_000
FIRST_DAY = date(2016, 4, 1)
MARK = "bench.portal.large_provider"
#: the large provider's login and password in the bench (its portal login)
LOGIN = "bench-large"
PASSWORD = "Bench-portaal-2026!"  # noqa: S105  (a bench password)


def _one(conn: psycopg.Connection[Any], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def marked(conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT after FROM audit_auditevent WHERE action = %s ORDER BY id DESC LIMIT 1", [MARK]
    ).fetchone()
    return dict(row[0]) if row else None


def _mark(conn: psycopg.Connection[Any], after: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO audit_auditevent (actor_label, organisation_code, acr, action, object_type, object_id, "
        "after, reason, at) VALUES ('bench', '', '', %s, 'providers.Provider', %s, %s, 'bench', now())",
        [MARK, str(after["provider_id"]), Jsonb(after)],
    )


def first_of_window(today: date) -> date:
    """The first day of the last two calendar years (this year and the previous one)."""
    return date(today.year - 1, 1, 1)


# --- reuse the projects benchmark's database ---------------------------------------------------------------


def reuse(url: str, large: int, today: date) -> dict[str, Any]:
    """Make one provider of the seeded database have ``large`` projects in the last two years."""
    start = time.perf_counter()
    window = first_of_window(today)
    with psycopg.connect(url) as conn:
        done = marked(conn)
        if done and done.get("large") == large and done.get("window") == window.isoformat():
            count = _one(
                conn,
                "SELECT count(*) FROM projects_project p JOIN providers_registration r ON r.id = "
                "p.registration_id WHERE r.provider_id = %s AND p.application_date >= %s",
                [done["provider_id"], window],
            )
            if count >= large:
                return {**done, "how": "reused", "seconds": 0.0}
        provider_id, have = conn.execute(
            "SELECT r.provider_id, count(*) FROM projects_project p JOIN providers_registration r "
            "ON r.id = p.registration_id WHERE p.application_date >= %s GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            [window],
        ).fetchone() or (None, 0)
        if provider_id is None:
            raise SystemExit("the projects database has no projects in the last two years")
        registrations = {
            service: rid
            for rid, service in conn.execute(
                "SELECT DISTINCT ON (service) id, service FROM providers_registration WHERE provider_id = %s "
                "AND department_id IS NULL ORDER BY service, id",
                [provider_id],
            ).fetchall()
        }
        missing = max(0, large - have)
        if missing:
            for service, rid in registrations.items():
                share = missing if len(registrations) == 1 else missing // 2 + (service == "opleiding")
                conn.execute(
                    "UPDATE projects_project SET registration_id = %s WHERE id IN (SELECT p.id FROM "
                    "projects_project p JOIN providers_registration r ON r.id = p.registration_id WHERE "
                    "r.provider_id <> %s AND p.application_date >= %s AND p.service = %s "
                    "ORDER BY p.id LIMIT %s)",
                    [rid, provider_id, window, service, share],
                )
        _ensure_login(conn, provider_id)
        after = {"provider_id": provider_id, "large": large, "window": window.isoformat(), "moved": missing}
        _mark(conn, after)
    _analyse(url)
    return {**after, "how": f"reassigned {missing:,} projects", "seconds": time.perf_counter() - start}


def _ensure_login(conn: psycopg.Connection[Any], provider_id: int) -> None:
    from django.contrib.auth.hashers import make_password

    conn.execute(
        "UPDATE providers_provider SET login = %s, password = %s WHERE id = %s AND login <> %s",
        [LOGIN, make_password(PASSWORD), provider_id, LOGIN],
    )
    conn.execute(
        "UPDATE providers_provider SET password = %s WHERE id = %s AND password = ''",
        [make_password(PASSWORD), provider_id],
    )


def _analyse(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE projects_project")
        conn.execute("VACUUM ANALYZE providers_registration")
        conn.execute("VACUUM ANALYZE idm_organisation")


# --- a synthetic database ----------------------------------------------------------------------------------

SYNTHETIC_SQL = """
INSERT INTO idm_organisation (id, code, name, target_group, is_natural_person, active, created_at)
SELECT i, '0' || lpad(i::text, 9, '0'),
       CASE WHEN i <= {enterprises} THEN 'Onderneming ' || i || ' ' ||
            (ARRAY['Bakkerij', 'Bouw', 'Consult', 'Digitaal', 'Fietsen', 'Garage', 'Hout', 'IT'])[1 + i % 8]
            ELSE 'Dienstverlener ' || (i - {enterprises}) END,
       'EA', false, true, now()
FROM generate_series(1, {enterprises} + {providers}) i;

INSERT INTO providers_provider (id, street, house_number, box, postcode, municipality, country, legal_name,
    enterprise_number, legal_form, contact_name, contact_email, contact_phone, website, iban, bic,
    fields_of_expertise, presentation, is_foreign, login, password, created_at, updated_at, organisation_id)
SELECT p, 'Straat', '1', '', '9000', 'Gent', 'BE', 'Dienstverlener ' || p,
       '0' || lpad(({enterprises} + p)::text, 9, '0'),
       'BV', 'Contact', 'dv' || p || '@bench.example', '', '', 'BE68539007547034', 'GKCCBEBB', '', '', false,
       'bench-dv-' || p, '', now(), now(), {enterprises} + p
FROM generate_series(1, {providers}) p;

INSERT INTO providers_registration (id, number, service, basis, status, is_starter, valid_from, valid_until,
    requested_at, decided_at, decided_by, decision_reason, status_changed_at, version, department_id,
    provider_id)
SELECT r, CASE WHEN r % 2 = 1 THEN 'DV.O' ELSE 'DV.A' END || lpad(r::text, 6, '0'),
       CASE WHEN r % 2 = 1 THEN 'opleiding' ELSE 'advies' END, 'prive', 'G', false, DATE '2016-01-01',
       DATE '2030-01-01', now(), now(), 'bench', '', now(), 1, NULL, (r + 1) / 2
FROM generate_series(1, 2 * {providers}) r;

-- the projects: the last {large_window} rows of the window years are every {step}th one the large provider's
CREATE TEMPORARY TABLE bench_days AS
SELECT i, DATE '{first}' + ((i::bigint * ({days})) / {projects})::int AS day
FROM generate_series(1, {projects}) i;

INSERT INTO projects_project (id, number, service, theme, subtheme, training_type, title, start_date, hours,
    participants, amount, application_date, regime_from, regime_version, size_class, rate, subsidy,
    own_contribution, budget_held, structured_reference, deposit_deadline, status, status_changed_at,
    deposited_at, note, idempotency_key, created_by, created_at, updated_at, organisation_id, registration_id)
SELECT d.i,
       extract(year FROM d.day)::int || 'KMO' ||
           lpad((row_number() OVER (PARTITION BY extract(year FROM d.day) ORDER BY d.i))::text, 6, '0'),
       CASE WHEN reg % 2 = 1 THEN 'opleiding' ELSE 'advies' END, 'bedrijfsstrategie', '', '', 'Bench project',
       d.day, 8, 1, a.amount, d.day, DATE '2016-04-01', 'bench', 'KO', 0.3, round(a.amount * 0.3, 2),
       a.amount - round(a.amount * 0.3, 2), 0, lpad(d.i::text, 12, '0'), d.day + 14,
       (ARRAY['Bevestigd', 'Lopend', 'Lopend', 'Afgewerkt', 'Afgewerkt', 'Afgewerkt', 'ProjectGeannuleerd',
              'StopzettingAangevraagd', 'Gestopt', 'Afgewerkt'])
           [1 + ((d.i::bigint * 2654435761) % 1000003) % 10],
       now(), NULL, '', '', 'bench', now(), now(), 1 + (d.i::bigint * 104729) % {enterprises}, reg
FROM bench_days d
CROSS JOIN LATERAL (SELECT round(100 + ((d.i::bigint * 7919) % 900000) / 100.0, 2) AS amount) a
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.day >= DATE '{window}' AND d.i % {step} = 0 AND d.i > {projects} - {large} * {step}
                THEN 1 + (d.i / {step}) % 2
                ELSE 3 + (d.i::bigint * 15485863) % (2 * {providers} - 2) END AS reg
) g;

SELECT setval(pg_get_serial_sequence('idm_organisation', 'id'), (SELECT max(id) FROM idm_organisation));
SELECT setval(pg_get_serial_sequence('providers_provider', 'id'), (SELECT max(id) FROM providers_provider));
SELECT setval(pg_get_serial_sequence('providers_registration', 'id'),
              (SELECT max(id) FROM providers_registration));
SELECT setval(pg_get_serial_sequence('projects_project', 'id'), (SELECT max(id) FROM projects_project));
"""


def synthetic(url: str, large: int, today: date, projects: int = PROJECTS) -> dict[str, Any]:
    """Fill an empty, migrated database (see the module's docstring); reused when already filled."""
    window = first_of_window(today)
    with psycopg.connect(url) as conn:
        done = marked(conn)
        if (
            done
            and done.get("large") == large
            and done.get("window") == window.isoformat()
            and done.get("projects") == projects
        ):
            return {**done, "how": "reused", "seconds": 0.0}
        if _one(conn, "SELECT count(*) FROM projects_project") or _one(
            conn, "SELECT count(*) FROM providers_provider"
        ):
            raise SystemExit(f"{url} holds other data: name an empty database (BENCH_PORTAL_DATABASE_URL)")
    start = time.perf_counter()
    days = (today - FIRST_DAY).days
    window_days = (today - window).days + 1
    in_window = projects * window_days // max(1, days)
    step = max(2, in_window // large)
    if in_window < large * step:
        step = max(1, in_window // large)
    if in_window < large:
        raise SystemExit(f"{projects:,} projects give only {in_window:,} in the last two years: ask more")
    text = SYNTHETIC_SQL.format(
        enterprises=ENTERPRISES,
        providers=PROVIDERS,
        projects=projects,
        first=FIRST_DAY.isoformat(),
        days=days,
        window=window.isoformat(),
        large=large,
        step=step,
        large_window=large,
    )
    with psycopg.connect(url) as conn:
        conn.execute("SET LOCAL synchronous_commit = off")
        for statement in (s.strip() for s in text.split(";\n")):
            if statement:
                conn.execute(statement)
        _ensure_login(conn, 1)
        count = _one(
            conn,
            "SELECT count(*) FROM projects_project WHERE registration_id IN (1, 2) "
            "AND application_date >= %s",
            [window],
        )
        after = {
            "provider_id": 1,
            "large": large,
            "window": window.isoformat(),
            "projects": projects,
            "large_projects": count,
        }
        _mark(conn, after)
    _analyse(url)
    return {**after, "how": "synthetic", "seconds": time.perf_counter() - start}

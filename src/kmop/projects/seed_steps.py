"""``kmop seed`` step of the projects (after the IDM's and the providers' steps).

- ``--scale demo``: the demo enterprises of ``kmop.demo`` (Houtatelier Verhaeghe, Fietsen Tom) get their
  profile (IBAN, main activity, contact) and projects in every status with the demo provider Leerwijs, filed
  through the services as the system (so the rules, the budget and the numbers are real) and moved through
  the life cycle. Idempotent: each demo project has its own form token and is made once.
- ``--scale N``: about ``N * 3 / 4`` projects (1.5 M at the national scale of 2 M enterprises) of about
  ``N * 3 / 100`` applicant enterprises (60,000) over the years since 1 April 2016, with their profiles (a
  valid Belgian IBAN for refunds), sizes per year, year budgets and one status change each, written in
  batches (``COPY`` on PostgreSQL, explicit ids, the sequences set after) year by year, deterministic from
  ``(scale, seed, today)``. The money follows the regime of each application date and the cap of each
  enterprise and year; the dates follow the life cycle (deposit within the deadline, a later status after
  it, a project closed after its term in the January after the following year, nothing after today). It
  replaces the projects of an earlier seed; the wallet's step (``kmop.wallet.seed_steps``) then books the
  ledger that goes with each project's status.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from kmop.audit.services import Actor, audit_record
from kmop.idm.models import Organisation, TargetGroup
from kmop.projects import services
from kmop.projects.errors import ProjectError
from kmop.projects.models import (
    EnterpriseProfile,
    Project,
    ProjectNumberSequence,
    ProjectStatus,
    ProjectStatusChange,
    SizeClassYear,
    YearBudget,
)
from kmop.providers.models import Registration
from kmop.registers.synthetic_seed import SeedContext, SeedStep, delete_referencing
from kmop.schemes.errors import SchemeError
from kmop.schemes.regime import CENT, Regime
from kmop.schemes.services import regime_on

BATCH = 5000
#: projects per enterprise of the scale (1.5 M at 2 M) and applicants per enterprise (60,000 at 2 M)
PROJECTS_PER_ENTERPRISE = Decimal("0.75")
APPLICANTS_PER_ENTERPRISE = Decimal("0.03")
FIRST_DAY = date(2016, 4, 1)
REASON = "kmop seed"
S = ProjectStatus

# --- demo ------------------------------------------------------------------------------------------------

#: (enterprise key, contact person, size class, [(form token, days before today, amount, the way to go)])
DEMO: tuple[tuple[str, str, str, tuple[tuple[str, int, str, str], ...]], ...] = (
    (
        "houtatelier",
        "Sofie Verhaeghe",
        "KO",
        (
            ("demo-bevestigd", 3, "1200.00", "Bevestigd"),
            ("demo-lopend", 20, "2500.00", "Lopend"),
            ("demo-stopzetting", 40, "800.00", "StopzettingAangevraagd"),
            ("demo-gestopt", 60, "600.00", "Gestopt"),
            ("demo-afgewerkt", 90, "1500.00", "Afgewerkt"),
            ("demo-geannuleerd", 120, "900.00", "ProjectGeannuleerd"),
        ),
    ),
    (
        "fietsen-tom",
        "Tom Peeters",
        "KO",
        (
            ("demo-bevestigd", 5, "450.00", "Bevestigd"),
            ("demo-lopend", 25, "700.00", "Lopend"),
        ),
    ),
)

_TITLES = (
    "Strategisch plan voor de komende drie jaar",
    "Digitale boekhouding en facturatie",
    "Leiderschap voor ploegbazen",
    "Veilig werken met houtbewerkingsmachines",
    "Energie-efficiënt produceren",
    "Exporteren naar Duitsland en Nederland",
    "Personeelsbeleid voor een groeiende kmo",
    "Innovatief productontwerp",
)


def _demo_registration() -> Registration | None:
    from kmop.demo.personas import ORGANISATIONS_BY_KEY

    leerwijs = ORGANISATIONS_BY_KEY["leerwijs"].code
    return (
        Registration.objects.filter(
            provider__enterprise_number=leerwijs, service="opleiding", status__in=["G", "G/V"]
        )
        .order_by("department_id", "number")
        .first()
    )


def _go(actor: Actor, project: Project, target: str) -> None:
    if target == S.BEVESTIGD:
        return
    if target == S.GEANNULEERD:
        services.project_cancel(
            actor=actor, project=project, reason="De onderneming trekt de aanvraag in (demo)."
        )
        return
    from kmop.wallet import services as wallet

    # the own contribution comes in as from the bank, the subsidy is added: the wallet as after a camt.053
    wallet.book_deposit(
        actor=actor, project=project, amount=project.own_contribution, reference=f"demo:{project.number}"
    )
    wallet.book_subsidy(actor=actor, project=project)
    project = services.project_mark_deposited(actor=actor, project=project, reason=REASON)
    if target == S.AFGEWERKT:
        # the provider's invoice paid from the wallet: the project is Afgewerkt when the wallet is empty
        wallet.payment_order_create(
            actor=actor,
            project=project,
            invoice_number=f"F-{project.number[-6:]}",
            amount=wallet.project_balance(project),
        )
    elif target in (S.STOPZETTING_AANGEVRAAGD, S.GESTOPT):
        project = services.project_request_stop(
            actor=actor, project=project, reason="De deelnemer heeft het bedrijf verlaten (demo)."
        )
        if target == S.GESTOPT:
            services.project_decide_stop(actor=actor, project=project, approve=True, reason="Akkoord (demo).")


def seed_demo_projects(actor: Actor, today: date | None = None) -> tuple[int, list[str]]:
    """The demo profiles and projects (idempotent): returns (projects made, problems)."""
    from kmop.demo.personas import ORGANISATIONS_BY_KEY

    today = today or timezone.localdate()
    registration = _demo_registration()
    made = 0
    problems: list[str] = []
    for key, contact, size, projects in DEMO:
        demo = ORGANISATIONS_BY_KEY[key]
        organisation = Organisation.objects.filter(code=demo.code).first()
        if organisation is None:
            problems.append(f"{demo.name}: no organisation (run the IDM step first)")
            continue
        EnterpriseProfile.objects.get_or_create(
            organisation=organisation,
            defaults={
                "iban": demo.iban,
                "nace_code": demo.nace[0] if demo.nace else "",
                "contact_name": contact,
                "contact_email": demo.email,
                "contact_phone": demo.phone,
                "completed_at": timezone.now(),
            },
        )
        if registration is None:
            problems.append("no valid registration of Leerwijs for opleiding (run the providers step first)")
            continue
        for index, (token, days, amount, target) in enumerate(projects):
            if Project.objects.filter(organisation=organisation, idempotency_key=token).exists():
                continue
            on = today - timedelta(days=days)
            try:
                with transaction.atomic():
                    project = services.application_submit(
                        actor=actor,
                        organisation=organisation,
                        registration=registration,
                        service="opleiding",
                        theme="bedrijfsstrategie",
                        title=_TITLES[index % len(_TITLES)],
                        training_type="klassikaal",
                        start_date=on - timedelta(days=2),
                        hours=Decimal("12"),
                        amount=Decimal(amount),
                        participants=2,
                        size_class=size,
                        on=on,
                        idempotency_key=token,
                    )
                    _go(actor, project, target)
                made += 1
            except (ProjectError, SchemeError) as error:
                problems.append(f"{demo.name} {token}: {error}")
    return made, problems


# --- scale -----------------------------------------------------------------------------------------------


class CopyTable:
    """Rows of one table, written in batches: ``COPY`` on PostgreSQL (streamed, constant memory),
    ``bulk_create`` elsewhere. The wallet's seed step uses it too."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], batch: int = BATCH) -> None:
        self.model = model
        self.columns = columns
        self.batch = batch
        self.rows: list[tuple[object, ...]] = []
        self.count = 0

    def add(self, row: tuple[object, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
            table = connection.ops.quote_name(self.model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in self.rows:
                    copy.write_row(row)
        else:
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(self.columns, row, strict=True))) for row in self.rows], batch_size=500
            )
        self.count += len(self.rows)
        self.rows = []


def reset_sequences(*tables: type[models.Model]) -> None:
    """After rows were written with explicit ids: the next id of each table continues after the highest
    (PostgreSQL's serial sequences; SQLite's ``AUTOINCREMENT`` follows by itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                f"FROM {table}",
                [model._meta.db_table],
            )


def analyze(*tables: type[models.Model]) -> None:
    """Statistics for the planner after a bulk load (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


_Table = CopyTable  # the earlier name

_OWN_TABLES: tuple[type[models.Model], ...] = (
    ProjectStatusChange,
    Project,
    YearBudget,
    SizeClassYear,
    EnterpriseProfile,
    ProjectNumberSequence,
)


def _clear() -> None:
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _OWN_TABLES)
        with connection.cursor() as cursor:
            # CASCADE: the wallet's ledger of these projects goes with them; its step comes after this one
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        # only the other apps' rows that point at these (the wallet's ledger of the projects, deepest first):
        # a ledger transaction of no project (an unmatched deposit) and its lines stay for the wallet's step
        for model in _OWN_TABLES:
            delete_referencing(model, keep_app="projects")
            model._default_manager.all()._raw_delete(connection.alias)


def _moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _regimes(first: date, last: date) -> list[Regime]:
    """The regimes from ``first`` to ``last`` (one per period)."""
    found: list[Regime] = []
    day = first
    while day <= last:
        regime = regime_on(day)
        found.append(regime)
        if regime.valid_to is None:
            break
        day = regime.valid_to + timedelta(days=1)
    return found


def _regime_of(regimes: list[Regime], day: date) -> Regime:
    return next(r for r in regimes if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to))


def _theme_of(regime: Regime, service: str, rng: random.Random) -> tuple[str, str]:
    """A theme and sub-theme the regime allows for the service ("" when themes are not required)."""
    if not regime.theme_required:
        return "", ""
    themes = list(regime.themes)
    for _attempt in range(20):
        theme = rng.choice(themes)
        subtheme = rng.choice(theme.subthemes).code if theme.subthemes else ""
        if regime.service_allows(service, theme.code, subtheme or None):
            return theme.code, subtheme
    for theme in themes:  # e.g. advies only for cybersecurity
        for sub in theme.subthemes or ():
            if regime.service_allows(service, theme.code, sub.code):
                return theme.code, sub.code
    return themes[0].code, ""


def _status(rng: random.Random, application: date, today: date, deadline: date) -> str:
    if application.year < today.year - 1:  # past its term: finished, stopped or cancelled
        x = rng.random()
        return S.AFGEWERKT if x < 0.86 else S.GESTOPT if x < 0.93 else S.GEANNULEERD
    if deadline >= today and rng.random() < 0.7:
        return S.BEVESTIGD
    x = rng.random()
    if application.year < today.year:  # last year's: most are finished by now
        if x < 0.20:
            return S.LOPEND
        if x < 0.80:
            return S.AFGEWERKT
        if x < 0.83:
            return S.STOPZETTING_AANGEVRAAGD
        if x < 0.91:
            return S.GESTOPT
        return S.GEANNULEERD
    if x < 0.45:
        return S.LOPEND
    if x < 0.80:
        return S.AFGEWERKT
    if x < 0.85:
        return S.STOPZETTING_AANGEVRAAGD
    if x < 0.92:
        return S.GESTOPT
    return S.GEANNULEERD


#: the statuses of a project whose own contribution was deposited (and the subsidy added)
DEPOSITED = frozenset({S.LOPEND, S.STOPZETTING_AANGEVRAAGD, S.GESTOPT, S.AFGEWERKT})


def _dates(
    rng: random.Random, status: str, day: date, deadline: date, today: date, closed: bool
) -> tuple[datetime, datetime | None]:
    """(status changed at, deposited at) of a project filed on ``day``, in that order of time: the deposit
    within the deadline, a later status after it, nothing after today; a project closed after its term
    (``closed``) in the January after the year following its application year."""
    at = _moment(day)
    if status == S.BEVESTIGD:
        return at, None
    if status == S.GEANNULEERD:  # withdrawn, cancelled or no deposit: before or just after the deadline
        return _moment(min(today, day + timedelta(days=rng.randint(1, (deadline - day).days + 1)))), None
    last = min(today, deadline)
    deposited = _moment(min(last, day + timedelta(days=rng.randint(1, 29))), 11)
    if status == S.LOPEND:
        return deposited, deposited
    if closed:
        return _moment(date(day.year + 2, 1, rng.randint(1, 10)), 6), deposited
    span = max(0, (today - deposited.date()).days)
    changed = deposited.date() + timedelta(days=rng.randint(min(1, span), min(span, 300)))
    return _moment(changed, 15), deposited


PROJECT_COLUMNS = (
    "id", "number", "organisation_id", "registration_id", "service", "theme", "subtheme", "training_type",
    "title", "start_date", "hours", "participants", "amount", "application_date", "regime_from",
    "regime_version", "size_class", "rate", "subsidy", "own_contribution", "budget_held",
    "structured_reference", "deposit_deadline", "status", "status_changed_at", "deposited_at", "note",
    "idempotency_key", "created_by", "created_at", "updated_at",
)  # fmt: skip
CHANGE_COLUMNS = (
    "project_id", "from_status", "to_status", "action", "at", "actor_label", "reason", "proof_name",
)  # fmt: skip


def seed_projects_at_scale(
    *, scale: int, seed: int, actor: Actor, today: date | None = None
) -> dict[str, int]:
    """About ``scale * 3/4`` projects of ``scale * 3/100`` applicants (see the module), deterministic;
    replaces the projects of an earlier seed. Returns the counts per table."""
    from kmop.registers.synthetic import Population

    today = today or timezone.localdate()
    rng = random.Random(f"projects:{scale}:{seed}:{today.isoformat()}")
    wanted_projects = int(scale * PROJECTS_PER_ENTERPRISE)
    wanted_applicants = max(1, int(scale * APPLICANTS_PER_ENTERPRISE))
    registrations: dict[str, list[int]] = {
        service: list(
            Registration.objects.filter(service=service, status__in=["G", "G/V", "L", "L/H", "S", "T", "U"])
            .order_by("id")
            .values_list("id", flat=True)
        )
        for service in ("opleiding", "advies")
    }
    counts: dict[str, int] = {}
    label = actor.label[:200]
    with transaction.atomic():
        _clear()
        organisations = list(
            Organisation.objects.filter(target_group=TargetGroup.ECONOMIC_ACTOR, active=True)
            .order_by("id")
            .values_list("id", "code", "name")
        )
        if not organisations or not registrations["opleiding"] or wanted_projects == 0:
            return {"projects": 0}
        step = max(1, len(organisations) // wanted_applicants)
        applicants = organisations[::step][:wanted_applicants]
        profiles = CopyTable(
            EnterpriseProfile,
            (
                "organisation_id",
                "iban",
                "bic",
                "nace_code",
                "contact_name",
                "contact_email",
                "contact_phone",
                "language",
                "completed_at",
                "created_at",
                "updated_at",
            ),
        )
        created = _moment(today - timedelta(days=1), 8)
        population = Population(seed=seed, size=max(1, scale))
        sizes: dict[int, str] = {}
        for organisation_id, code, name in applicants:
            sizes[organisation_id] = "KO" if rng.random() < 0.8 else "MO"
            profiles.add(
                (
                    organisation_id,
                    population.random_iban(rng),
                    "",
                    "",
                    name[:200],
                    f"info{code}@example.org",
                    "",
                    "nl" if rng.random() < 0.95 else "en",
                    created,
                    created,
                    created,
                )
            )
        profiles.flush()
        counts["profiles"] = profiles.count
        regimes = _regimes(FIRST_DAY, today)
        years = list(range(FIRST_DAY.year, today.year + 1))
        days_in = {y: ((min(today, date(y, 12, 31)) - max(FIRST_DAY, date(y, 1, 1))).days + 1) for y in years}
        total_days = sum(days_in.values())
        projects = CopyTable(Project, PROJECT_COLUMNS)
        changes = CopyTable(ProjectStatusChange, CHANGE_COLUMNS)
        budgets = CopyTable(YearBudget, ("organisation_id", "year", "cap", "used"))
        size_rows = CopyTable(
            SizeClassYear, ("organisation_id", "year", "size_class", "confirmed_at", "locked_at")
        )
        sequences = CopyTable(ProjectNumberSequence, ("year", "last_value"))
        project_id = 0
        for year in years:
            count = round(wanted_projects * days_in[year] / total_days)
            first = max(FIRST_DAY, date(year, 1, 1))
            drafts: list[tuple[date, int, int]] = []
            for _i in range(count):
                day = first + timedelta(days=rng.randrange(days_in[year]))
                drafts.append((day, applicants[rng.randrange(len(applicants))][0], rng.randrange(1 << 30)))
            drafts.sort()
            used: dict[int, Decimal] = {}
            caps: dict[int, Decimal] = {}
            held_total: dict[int, Decimal] = {}
            value = 0
            for day, organisation_id, salt in drafts:
                local = random.Random(salt)
                regime = _regime_of(regimes, day)
                size = sizes[organisation_id]
                cap = caps.setdefault(organisation_id, regime.yearly_cap(size))
                left = cap - used.get(organisation_id, Decimal(0))
                if left <= 0:
                    continue
                service = "opleiding" if local.random() < 0.8 or not registrations["advies"] else "advies"
                theme, subtheme = _theme_of(regime, service, local)
                if not regime.service_allows(service, theme or None, subtheme or None):
                    service = "opleiding"
                    theme, subtheme = _theme_of(regime, service, local)
                minimum = regime.minimum(service)
                amount = max(minimum, Decimal(local.randrange(10_000, 800_000)) / 100)
                rate = regime.rate(size, service, theme or None, subtheme or None)
                subsidy = min((rate * amount).quantize(CENT, rounding=ROUND_CEILING), amount, left)
                deadline = regime.deposit_deadline(day)
                status = _status(local, day, today, deadline)
                closed = status == S.AFGEWERKT and year < today.year - 1 and local.random() < 0.05
                changed, deposited = _dates(local, status, day, deadline, today, closed)
                # the budget goes back on a cancel, and on a stop decided in the application's year
                released = status == S.GEANNULEERD or (status == S.GESTOPT and changed.year == year)
                held = Decimal("0.00") if released else subsidy
                used[organisation_id] = used.get(organisation_id, Decimal(0)) + subsidy
                held_total[organisation_id] = held_total.get(organisation_id, Decimal(0)) + held
                value += 1
                project_id += 1
                number = f"{year:04d}KMO{value:06d}"
                at = _moment(day)
                note = services.close_note_for_year(year) if closed else ""
                ids = registrations[service]
                projects.add(
                    (project_id, number, organisation_id, ids[local.randrange(len(ids))], service, theme,
                     subtheme, "klassikaal" if service == "opleiding" else "",
                     _TITLES[local.randrange(len(_TITLES))], day - timedelta(days=local.randint(0, 10)),
                     Decimal(local.randint(4, 80)), local.randint(1, 12), amount, day, regime.valid_from,
                     str(regime.data_version)[:40], size, rate, subsidy, amount - subsidy, held,
                     services.structured_reference_for(number), deadline, status, changed, deposited, note,
                     "", REASON, at, changed)
                )  # fmt: skip
                changes.add((project_id, "", status, "seed", changed, label, REASON, ""))
            for organisation_id, total in held_total.items():
                budgets.add((organisation_id, year, caps[organisation_id], total))
                size_rows.add((organisation_id, year, sizes[organisation_id], created, created))
            if value:
                sequences.add((year, value))
        for table in (projects, changes, budgets, size_rows, sequences):
            table.flush()
        reset_sequences(Project, ProjectStatusChange, YearBudget, SizeClassYear, EnterpriseProfile)
        counts.update(
            {
                "projects": projects.count,
                "year_budgets": budgets.count,
                "size_classes": size_rows.count,
            }
        )
        audit_record(
            actor=actor,
            action="projects.seed",
            object_type=services.PROJECT,
            object_id="*",
            after={"scale": scale, "seed": seed, "today": today.isoformat(), **counts},
            reason=REASON,
        )
    analyze(*_OWN_TABLES)
    return counts


def _step_projects(ctx: SeedContext) -> None:
    if ctx.demo:
        made, problems = seed_demo_projects(ctx.actor)
        ctx.stdout.write(f"  demo projects: {made} made\n")
        for problem in problems:
            ctx.stdout.write(f"  demo projects: {problem}\n")
        return
    counts = seed_projects_at_scale(scale=ctx.scale, seed=ctx.seed, actor=ctx.actor)
    ctx.counts.update({f"projects_{name}": count for name, count in counts.items()})
    ctx.stdout.write("  " + ", ".join(f"{name} {count}" for name, count in counts.items()) + "\n")


STEPS: list[SeedStep] = [SeedStep("projects", _step_projects)]

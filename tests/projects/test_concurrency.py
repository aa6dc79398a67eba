"""The yearly cap under concurrency (issue 4 §6; PostgreSQL, real threads and connections): 32 threads
submitting applications for one enterprise never exceed the cap, the budget row's ``used`` is the sum of the
projects' subsidies, the numbers stay unique and gap-free; the same form submitted by 8 threads at once gives
one project."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from kmop.projects.errors import ApplicationRefused
from kmop.projects.models import Project, YearBudget
from kmop.schemes import services as scheme_services
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _schemes(db: None) -> None:
    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(index)
        except BaseException as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_32_threads_never_exceed_the_cap(setting: Setting) -> None:
    accepted: list[int] = []
    refused: list[list[str]] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(index)
        for round_ in range(3):
            amount = Decimal(rng.randrange(40_000, 400_000)) / 100  # 400 to 4 000 euro: 120 to 1 200 subsidy
            try:
                project = setting.submit(amount=amount, title=f"Opleiding {index}-{round_}")
            except ApplicationRefused as error:
                with lock:
                    refused.append(error.codes)
                continue
            with lock:
                accepted.append(project.pk)

    assert _run_threads(32, work) == []
    assert len(accepted) + len(refused) == 96
    assert refused, "the cap must have refused some of the 96 applications"
    assert all(codes == ["cap_used_up"] for codes in refused)
    budget = YearBudget.objects.get(organisation=setting.enterprise, year=2025)
    total = Project.objects.filter(organisation=setting.enterprise).aggregate(s=Sum("subsidy"))["s"]
    assert total <= budget.cap
    assert budget.used == total
    assert budget.used == budget.cap  # the last accepted one got exactly what was left
    numbers = sorted(int(n[7:]) for n in Project.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(accepted) + 1))
    capped = [
        p
        for p in Project.objects.all()
        if p.subsidy < (p.amount * Decimal("0.3")).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    ]
    assert len(capped) <= 1  # only the one that took the rest was limited by the cap


def test_the_same_form_from_8_threads_gives_one_project(setting: Setting) -> None:
    numbers: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        project = setting.submit(idempotency_key="wizard-token-42")
        with lock:
            numbers.append(project.number)

    assert _run_threads(8, work) == []
    assert len(set(numbers)) == 1
    assert Project.objects.count() == 1
    assert YearBudget.objects.get().used == Project.objects.get().subsidy

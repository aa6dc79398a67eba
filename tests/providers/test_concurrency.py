"""The registration numbers under concurrency (PostgreSQL, real threads and connections): never the same
number twice, no gaps, a rolled-back request gives its number back; two simultaneous requests for the same
service give one registration."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from kmop.providers import services
from kmop.providers.errors import Conflict
from kmop.providers.models import REGISTRATION_SEQUENCE, NumberSequence, Provider, Registration
from tests.idm.conftest import SYSTEM, World

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]

THREADS = 8


def _run_threads(work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_numbers_are_unique_and_without_gaps_under_concurrency() -> None:
    NumberSequence.objects.update_or_create(name=REGISTRATION_SEQUENCE, defaults={"last_value": 0})
    taken: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for round_ in range(15):
            service = "opleiding" if (index + round_) % 2 else "advies"
            if round_ % 5 == 4:  # a request that fails after taking its number: rolled back
                try:
                    with transaction.atomic():
                        services.registration_numbers([service])
                        raise RuntimeError("rolled back")
                except RuntimeError:
                    continue
            with transaction.atomic():
                numbers = services.registration_numbers([service, "advies"])
            with lock:
                taken.extend(numbers)

    assert _run_threads(work) == []
    values = sorted(int(number[4:]) for number in taken)
    assert len(values) == THREADS * 12 * 2
    assert values == list(range(1, len(values) + 1))  # unique, and the rolled-back ones were given back
    assert NumberSequence.objects.get(name=REGISTRATION_SEQUENCE).last_value == len(values)


def test_simultaneous_requests_for_the_same_service_give_one_registration(
    provider: Provider, world: World
) -> None:
    outcomes: list[str] = []

    def work(index: int) -> None:
        try:
            services.registration_request(actor=SYSTEM, provider=provider, service="opleiding", basis="prive")
            outcomes.append("registered")
        except Conflict:
            outcomes.append("refused")

    assert _run_threads(work) == []
    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["registered"]
    assert Registration.objects.filter(provider=provider, service="opleiding").count() == 1

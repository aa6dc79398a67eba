"""Staff edit the scheme parameters in the admin: always with a reason, audited; a change is a new period from
a later date, a running period only gets an end date, overlaps are refused and nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.schemes import services
from kmop.schemes.errors import SchemeError
from kmop.schemes.models import ExcludedService, RegimePeriod
from kmop.schemes.services import check_application, regime_on

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
D = Decimal


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _running() -> RegimePeriod:
    return RegimePeriod.objects.get(valid_from=date(2026, 2, 1))


def _new_period_form(**overrides: str) -> dict[str, str]:
    parameters = dict(_running().parameters)
    parameters["size_classes"] = {
        "KO": {"rate": "0.35", "yearly_cap": "7500.00"},
        "MO": {"rate": "0.25", "yearly_cap": "7500.00"},
    }
    data = {
        "scheme": "kmo-portefeuille",
        "valid_from": "2026-04-01",
        "valid_to": "",
        "label_nl": "Kmo-portefeuille vanaf 1 april 2026",
        "label_en": "SME wallet from 1 April 2026",
        "source": "Besluit Vlaamse Regering (test)",
        "parameters": json.dumps(parameters),
        "reason": "Nieuwe steunpercentages beslist door de Vlaamse Regering",
    }
    data.update(overrides)
    return data


def _end_running_form(valid_to: str, reason: str = "Einde van de regeling beslist") -> dict[str, str]:
    running = _running()
    return {
        "valid_to": valid_to,
        "label_nl": running.label_nl,
        "label_en": running.label_en,
        "source": running.source,
        "reason": reason,
    }


def _snapshot() -> list[Any]:
    return list(RegimePeriod.objects.order_by("pk").values_list("pk", "valid_from", "valid_to", "parameters"))


def test_a_new_period_overlapping_the_running_one_is_refused(admin_client: Client) -> None:
    before = _snapshot()
    response = admin_client.post(reverse("admin:schemes_regimeperiod_add"), _new_period_form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "overlapt met de periode van 1 februari 2026 tot …" in str(errors["valid_from"])
    assert _snapshot() == before
    assert not AuditEvent.objects.filter(action__startswith="schemes.").exists()


def test_end_the_running_period_then_add_a_new_one_audited(admin_client: Client) -> None:
    url = reverse("admin:schemes_regimeperiod_change", args=[_running().pk])
    response = admin_client.post(url, _end_running_form("2026-03-31"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _running().valid_to == date(2026, 3, 31)
    event = AuditEvent.objects.get(action="schemes.regimeperiod.update")
    assert event.reason == "Einde van de regeling beslist"
    assert event.before["valid_to"] is None
    assert event.after["valid_to"] == "2026-03-31"
    assert event.object_id == "kmo-portefeuille:2026-02-01"
    assert event.actor is not None
    assert event.actor.is_superuser

    response = admin_client.post(reverse("admin:schemes_regimeperiod_add"), _new_period_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="schemes.regimeperiod.create")
    assert event.reason == "Nieuwe steunpercentages beslist door de Vlaamse Regering"
    assert event.before is None
    assert event.after["parameters"]["size_classes"]["KO"]["rate"] == "0.35"
    new = RegimePeriod.objects.get(valid_from=date(2026, 4, 1))
    assert new.data_version == 0
    # applications of today keep the running rules; from 1 April the new ones
    assert regime_on(date(2026, 3, 31)).rate("KO", "opleiding", "innovatie") == D("0.30")
    assert regime_on(date(2026, 4, 1)).rate("KO", "opleiding", "innovatie") == D("0.35")


def test_a_reason_is_required(admin_client: Client) -> None:
    url = reverse("admin:schemes_regimeperiod_change", args=[_running().pk])
    response = admin_client.post(url, _end_running_form("2026-03-31", reason=""))
    assert response.status_code == 200
    assert "reason" in response.context["adminform"].form.errors
    assert _running().valid_to is None
    assert not AuditEvent.objects.filter(action__startswith="schemes.").exists()


@pytest.mark.parametrize("start", ["2026-03-10", "2025-01-01"])
def test_a_new_period_cannot_start_today_or_earlier(admin_client: Client, start: str) -> None:
    RegimePeriod.objects.filter(pk=_running().pk).update(valid_to=date(2026, 3, 10))
    response = admin_client.post(
        reverse("admin:schemes_regimeperiod_add"), _new_period_form(valid_from=start)
    )
    assert response.status_code == 200
    assert "ten vroegste morgen (11 maart 2026)" in str(
        response.context["adminform"].form.errors["valid_from"]
    )
    assert not RegimePeriod.objects.filter(label_nl__contains="1 april").exists()


def test_a_running_period_cannot_end_in_the_past(admin_client: Client) -> None:
    url = reverse("admin:schemes_regimeperiod_change", args=[_running().pk])
    response = admin_client.post(url, _end_running_form("2026-03-09"))
    assert response.status_code == 200
    assert "ten vroegste vandaag" in str(response.context["adminform"].form.errors["valid_to"])
    assert _running().valid_to is None


def test_the_parameters_of_a_started_period_are_read_only(admin_client: Client) -> None:
    url = reverse("admin:schemes_regimeperiod_change", args=[_running().pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "parameters" not in form.fields
    assert "valid_from" not in form.fields
    assert "valid_to" in form.fields
    assert "remove" not in form.fields
    before = _snapshot()
    changed = _end_running_form("")
    changed["parameters"] = json.dumps({"size_classes": {}})
    admin_client.post(url, changed)
    assert _snapshot() == before  # the posted parameters are ignored


def test_the_service_refuses_to_change_a_started_period() -> None:
    running = _running()
    running.parameters = {**running.parameters, "filing_window_days": 30}
    with pytest.raises(SchemeError) as error:
        services.dated_row_save(actor=Actor.system("tests"), row=running, reason="test")
    assert error.value.code == "immutable"
    assert _running().parameters["filing_window_days"] == 14


def test_invalid_parameters_are_shown_at_the_field(admin_client: Client) -> None:
    RegimePeriod.objects.filter(pk=_running().pk).update(valid_to=date(2026, 3, 31))
    response = admin_client.post(
        reverse("admin:schemes_regimeperiod_add"),
        _new_period_form(parameters=json.dumps({"filing_window_days": "x"})),
    )
    assert response.status_code == 200
    assert "Ontbrekende parameter: size_classes" in str(
        response.context["adminform"].form.errors["parameters"]
    )
    assert not RegimePeriod.objects.filter(valid_from=date(2026, 4, 1)).exists()


def test_remove_a_period_that_has_not_started(admin_client: Client) -> None:
    RegimePeriod.objects.filter(pk=_running().pk).update(valid_to=date(2026, 3, 31))
    admin_client.post(reverse("admin:schemes_regimeperiod_add"), _new_period_form())
    new = RegimePeriod.objects.get(valid_from=date(2026, 4, 1))
    url = reverse("admin:schemes_regimeperiod_change", args=[new.pk])
    data = _new_period_form(reason="Beslissing ingetrokken")
    data["remove"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert not RegimePeriod.objects.filter(pk=new.pk).exists()
    event = AuditEvent.objects.get(action="schemes.regimeperiod.delete")
    assert event.reason == "Beslissing ingetrokken"
    assert event.after is None


def test_staff_extend_the_excluded_services_from_tomorrow(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:schemes_excludedservice_add"),
        {
            "scheme": "kmo-portefeuille",
            "code": "pendelen",
            "label_nl": "Pendelen",
            "label_en": "Pendulum dowsing",
            "keywords": json.dumps(["pendelen", "pendel"]),
            "valid_from": "2026-03-11",
            "valid_to": "",
            "source": "",
            "reason": "Uitgesloten door de Kwaliteitskamer",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ExcludedService.objects.filter(code="pendelen").exists()
    assert (
        AuditEvent.objects.get(action="schemes.excludedservice.create").reason
        == "Uitgesloten door de Kwaliteitskamer"
    )

    def codes(day: date) -> list[str]:
        return [
            r.code
            for r in check_application(
                regime_on(day),
                service="opleiding",
                theme="innovatie",
                amount=D("500"),
                start_date=day,
                application_date=day,
                size_class="KO",
                legal_form_code="610",
                nace_code="62010",
                title="Pendelen voor ondernemers",
            )
        ]

    assert codes(date(2026, 3, 10)) == []
    assert codes(date(2026, 3, 11)) == ["excluded_service"]


def test_the_schemes_list_is_read_only(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:schemes_scheme_changelist"))
    assert response.status_code == 200
    assert admin_client.get(reverse("admin:schemes_scheme_add")).status_code == 403
    assert admin_client.get(reverse("admin:schemes_regimeperiod_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:schemes_regimeperiod_add")).status_code == 200

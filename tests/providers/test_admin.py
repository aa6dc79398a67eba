"""Staff read providers and decide on registrations in the admin: a reason is required, the decision is
audited, a decision not allowed in the status or on a registration that changed meanwhile is refused and
changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kmop.audit.models import AuditEvent
from kmop.providers import services
from kmop.providers.models import Provider, Registration
from tests.idm.conftest import SYSTEM
from tests.providers.conftest import passed_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(provider: Provider) -> Registration:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    passed_audit(registration)
    return registration


def _url(registration: Registration) -> str:
    return reverse("admin:providers_registration_change", args=[registration.pk])


def _post(client: Client, registration: Registration, **data: object) -> object:
    form = {"decision": "approve", "reason": "Audit kmop-norm geslaagd", "seen_version": registration.version}
    form.update(data)
    return client.post(_url(registration), form)


def test_staff_see_the_lists_and_the_detail(admin_client: Client, requested: Registration) -> None:
    for url in (
        reverse("admin:providers_registration_changelist"),
        reverse("admin:providers_provider_changelist"),
        reverse("admin:providers_provider_change", args=[requested.provider_id]),
        _url(requested),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(_url(requested)).content.decode()
    assert requested.number in page
    assert 'value="approve"' in page
    assert 'value="lift"' not in page  # only the decisions allowed in status A


def test_approve_with_a_reason_is_audited(admin_client: Client, requested: Registration) -> None:
    response = _post(admin_client, requested)
    assert response.status_code == 302  # type: ignore[attr-defined]
    requested.refresh_from_db()
    assert requested.status == "G"
    assert requested.decision_reason == "Audit kmop-norm geslaagd"
    event = AuditEvent.objects.get(action="providers.registration.approve")
    assert event.actor is not None
    assert event.actor.username == "admin"
    assert event.reason == "Audit kmop-norm geslaagd"


def test_a_decision_without_reason_or_not_allowed_or_stale_changes_nothing(
    admin_client: Client, requested: Registration
) -> None:
    response = _post(admin_client, requested, reason="")
    assert response.status_code == 200  # type: ignore[attr-defined]  # the form again, with the error
    response = _post(admin_client, requested, decision="lift")
    assert response.status_code == 200  # type: ignore[attr-defined]
    response = _post(admin_client, requested, seen_version=requested.version - 1)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "intussen gewijzigd" in response.content.decode()  # type: ignore[attr-defined]
    requested.refresh_from_db()
    assert requested.status == "A"
    assert requested.version == 1
    assert (
        not AuditEvent.objects.filter(action__startswith="providers.registration.")
        .exclude(action="providers.registration.request")
        .exists()
    )


def test_staff_cannot_add_or_delete(admin_client: Client, requested: Registration) -> None:
    assert admin_client.get(reverse("admin:providers_registration_add")).status_code == 403
    assert admin_client.get(reverse("admin:providers_provider_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:providers_registration_delete", args=[requested.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Registration.objects.filter(pk=requested.pk).exists()

"""``kmop.projects.profile_services.complete_profile``: the first use's completion as a service (who may, the
input checked again, the size class unless locked, one transaction, audited)."""

from __future__ import annotations

from datetime import date

import pytest

from kmop.audit.models import AuditEvent
from kmop.projects.errors import InvalidInput, NotAllowed
from kmop.projects.models import EnterpriseProfile, SizeClassYear
from kmop.projects.profile_services import complete_profile
from tests.eloket.conftest import Setting
from tests.idm.conftest import SYSTEM, actor

DATA = {
    "size_class": "MO",
    "iban": "BE71 0961 2345 6769",
    "nace_code": "62.010",
    "contact_name": "Els Maes",
    "contact_email": "els@b.example",
    "contact_phone": "+32 9 222 33 44",
}
DAY = date(2025, 3, 10)


def _no_profile(setting: Setting) -> None:
    EnterpriseProfile.objects.filter(organisation=setting.enterprise).delete()


def test_completes_profile_and_size_class_with_audit(setting: Setting) -> None:
    _no_profile(setting)
    profile = complete_profile(actor=setting.els, organisation=setting.enterprise, data=DATA, day=DAY)
    profile.refresh_from_db()
    assert profile.iban == "BE71096123456769"
    assert profile.nace_code == "62010"
    assert profile.contact_phone == "+3292223344"
    assert profile.completed_at is not None
    size = SizeClassYear.objects.get(organisation=setting.enterprise, year=2025)
    assert size.size_class == "MO"
    event = AuditEvent.objects.get(action="eloket.profile_complete")
    assert event.before is None
    assert event.after["iban"] == "BE71096123456769"
    assert event.after["size_class"] == "MO"
    assert event.organisation_code == setting.enterprise.code


def test_second_completion_keeps_the_first_date_and_audits_before(setting: Setting) -> None:
    first = EnterpriseProfile.objects.get(organisation=setting.enterprise).completed_at
    complete_profile(actor=setting.els, organisation=setting.enterprise, data=DATA, day=DAY)
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    assert profile.completed_at == first
    event = AuditEvent.objects.get(action="eloket.profile_complete")
    assert event.before["iban"] == "BE68539007547034"


def test_a_locked_size_class_does_not_change(setting: Setting) -> None:
    setting.submit(idempotency_key="x")  # locks KO for 2025
    complete_profile(actor=setting.els, organisation=setting.enterprise, data=DATA, day=DAY)
    assert SizeClassYear.objects.get(organisation=setting.enterprise, year=2025).size_class == "KO"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iban", "BE71 0961 2345 6760"),
        ("nace_code", "abc"),
        ("contact_name", ""),
        ("contact_email", "geen-adres"),
        ("contact_phone", "12"),
        ("size_class", "GO"),
    ],
)
def test_bad_input_changes_nothing(setting: Setting, field: str, value: str) -> None:
    _no_profile(setting)
    with pytest.raises(InvalidInput) as refused:
        complete_profile(
            actor=setting.els, organisation=setting.enterprise, data={**DATA, field: value}, day=DAY
        )
    assert refused.value.field == field
    assert not EnterpriseProfile.objects.filter(organisation=setting.enterprise).exists()
    assert not SizeClassYear.objects.filter(organisation=setting.enterprise).exists()
    assert not AuditEvent.objects.filter(action="eloket.profile_complete").exists()


def test_someone_of_another_enterprise_is_refused(setting: Setting) -> None:
    _no_profile(setting)
    with pytest.raises(NotAllowed):
        complete_profile(actor=setting.sofie, organisation=setting.enterprise, data=DATA, day=DAY)
    # Sofie acting for B (she is no representative of B)
    with pytest.raises(NotAllowed):
        complete_profile(
            actor=actor("79051499882", setting.enterprise.code),
            organisation=setting.enterprise,
            data=DATA,
            day=DAY,
        )
    assert not EnterpriseProfile.objects.filter(organisation=setting.enterprise).exists()


def test_the_system_may(setting: Setting) -> None:
    _no_profile(setting)
    complete_profile(actor=SYSTEM, organisation=setting.enterprise, data=DATA, day=DAY)
    assert EnterpriseProfile.objects.get(organisation=setting.enterprise).completed_at is not None


def test_a_new_account_gets_the_refunds_that_waited_for_one(setting: Setting) -> None:
    """A refund made while the profile's IBAN was not valid for a payment waits for a person; the account the
    enterprise gives in the e-loket takes it (audited), and the same account again changes nothing more."""
    from decimal import Decimal

    from kmop.wallet import services as wallet_services
    from kmop.wallet.models import Payout
    from tests.backoffice.conftest import deposited

    project = deposited(setting)
    wallet_services.book_refund(
        actor=SYSTEM, amount=Decimal("25.00"), reference="test-refund", project=project, iban=""
    )
    complete_profile(actor=setting.els, organisation=setting.enterprise, data=DATA, day=DAY)
    assert Payout.objects.get(project=project).iban == "BE71096123456769"
    event = AuditEvent.objects.get(action="wallet.payout.account")
    assert event.organisation_code == setting.enterprise.code
    assert event.reason == "Rekeningnummer van de onderneming ingevuld in het e-loket"
    complete_profile(actor=setting.els, organisation=setting.enterprise, data=DATA, day=DAY)
    assert AuditEvent.objects.filter(action="wallet.payout.account").count() == 1

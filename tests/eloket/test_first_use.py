from __future__ import annotations

from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.projects.models import EnterpriseProfile, SizeClassYear
from tests.eloket.conftest import Setting

URL = "/e-loket/eerste-gebruik/"

GOOD = {
    "size_class": "MO",
    "size_confirmed": "on",
    "iban": "BE71 0961 2345 6769",
    "nace_code": "62.010",
    "contact_name": "Els Maes",
    "contact_email": "els@b.example",
    "contact_phone": "+32 9 222 33 44",
}


def _no_profile(setting: Setting) -> None:
    EnterpriseProfile.objects.filter(organisation=setting.enterprise).delete()


def test_renders_with_the_eligibility_and_its_reasons(els: Client, setting: Setting) -> None:
    _no_profile(setting)
    html = els.get(URL).content.decode()
    assert "Eerste gebruik" in html
    assert 'id="eligibility"' in html
    assert "In orde" in html
    # the KBO's main activity is proposed
    assert 'value="62010"' in html


def test_a_check_that_fails_shows_its_reason(els: Client, setting: Setting) -> None:
    from kmop.registers.models import Address

    _no_profile(setting)
    Address.objects.filter(entity_number=setting.enterprise.code).update(zipcode="1000")  # Brussels
    html = els.get(URL).content.decode()
    assert "Niet in orde" in html
    assert "voldoet vandaag niet aan alle voorwaarden" in html


def test_completing_saves_profile_and_size_class_with_audit(els: Client, setting: Setting) -> None:
    _no_profile(setting)
    response = els.post(URL, GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/e-loket/"
    profile = EnterpriseProfile.objects.get(organisation=setting.enterprise)
    assert profile.iban == "BE71096123456769"
    assert profile.nace_code == "62010"
    assert profile.contact_phone == "+3292223344"
    assert profile.completed_at is not None
    size = SizeClassYear.objects.get(organisation=setting.enterprise, year=2025)
    assert size.size_class == "MO"
    assert size.confirmed_at is not None
    event = AuditEvent.objects.get(action="eloket.profile_complete")
    assert event.object_id == setting.enterprise.code
    assert event.after["iban"] == "BE71096123456769"
    assert els.get("/e-loket/").status_code == 200


def test_bad_iban_and_missing_confirmation_change_nothing(els: Client, setting: Setting) -> None:
    _no_profile(setting)
    data = {**GOOD, "iban": "BE71 0961 2345 6760"}
    data.pop("size_confirmed")
    html = els.post(URL, data).content.decode()
    assert "Er is een probleem" in html
    assert "Dit is geen geldig IBAN-rekeningnummer" in html
    assert 'href="#id_iban"' in html
    assert "Bevestig de ondernemingsgrootte." in html
    assert not EnterpriseProfile.objects.filter(organisation=setting.enterprise).exists()
    assert not SizeClassYear.objects.filter(organisation=setting.enterprise).exists()


def test_a_locked_size_class_does_not_change(els: Client, setting: Setting) -> None:
    setting.submit(idempotency_key="x")  # locks KO for 2025
    data = {**GOOD, "size_class": "MO"}
    data.pop("size_confirmed")
    response = els.post(URL, data)
    assert response.status_code == 302
    assert SizeClassYear.objects.get(organisation=setting.enterprise, year=2025).size_class == "KO"
    assert EnterpriseProfile.objects.get(organisation=setting.enterprise).iban == "BE71096123456769"

"""The IDM seed step: the demo personas get their rights and appointments; running the seed twice works."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from kmop.demo.personas import PERSONS, VLAIO_OVO_CODE
from kmop.idm import permissions, selectors
from kmop.idm.models import AdministratorAppointment, Organisation, RightGrant, WorkRelation

pytestmark = pytest.mark.django_db(transaction=True)


def number(key: str) -> str:
    return next(p.national_number for p in PERSONS if p.key == key)


def test_seed_demo_gives_the_personas_their_rights_and_is_idempotent(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=io.StringIO())
        counts = (
            RightGrant.objects.count(),
            WorkRelation.objects.count(),
            AdministratorAppointment.objects.count(),
        )
        out = io.StringIO()
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=out)
    assert (
        RightGrant.objects.count(),
        WorkRelation.objects.count(),
        AdministratorAppointment.objects.count(),
    ) == counts
    assert "demo rights: 0 grants, 0 appointments made" in out.getvalue()

    def options(key: str) -> dict[str, tuple[str, ...]]:
        return {o.code: o.roles for o in selectors.acting_options(number(key))}

    houtatelier, fietsen, leerwijs, lernwerk = "0912345673", "0923456727", "0934567878", "0945678932"
    assert options("employee") == {houtatelier: ("VLAIOInkomGebruikerNieuw-Gebruiker",)}
    assert options("legal_representative") == {houtatelier: ("VLAIOInkomGebruikerNieuw-Gebruiker",)}
    assert options("sole_trader") == {fietsen: ("VLAIOInkomGebruikerNieuw-Gebruiker",)}
    assert "VLAIOInkomGebruikerNieuw-DienstverlenerKmoPortefeuille" in options("provider")[leerwijs]
    assert "VLAIOInkomGebruikerNieuw-DienstverlenerKmoPortefeuille" in options("foreign_provider")[lernwerk]
    assert options("vlaio_staff") == {VLAIO_OVO_CODE: ("VLAIOInkomGebruiker-Medewerker",)}
    assert options("vlaio_admin") == {
        VLAIO_OVO_CODE: ("VLAIOInkomGebruiker-Medewerker", "VLAIOInkomToepassingsbeheerder")
    }
    hout = Organisation.objects.get(code=houtatelier)
    assert permissions.administration_basis(number("local_admin"), hout) == "local_admin"
    assert permissions.can_administer_organisation(number("legal_representative"), hout)
    assert not permissions.can_administer_organisation(number("employee"), hout)
    assert permissions.administration_basis(number("vlaio_admin"), hout) == "application_manager"
    assert not permissions.can_administer_organisation(number("vlaio_staff"), hout)

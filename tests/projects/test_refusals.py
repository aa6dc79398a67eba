"""Every refusal reason of an application (issue 4 §4), each with its own test: the code, a message naming
the rule, and nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kmop.idm.errors import NotAllowed
from kmop.projects import services
from kmop.projects.errors import ApplicationRefused
from kmop.projects.models import Project, SizeClassYear, YearBudget
from kmop.registers.models import Activity, Address, Enterprise, LegalFunction
from tests.idm.conftest import ELS, SYSTEM, A, B
from tests.projects.conftest import Setting


def refused(setting: Setting, **overrides: Any) -> ApplicationRefused:
    with pytest.raises(ApplicationRefused) as info:
        setting.submit(**overrides)
    assert not Project.objects.filter(
        title=overrides.get("title", "Strategische planning voor kmo's")
    ).exists()
    assert info.value.refusals
    return info.value


def assert_nothing_written() -> None:
    assert not Project.objects.exists()
    assert not YearBudget.objects.exists()
    assert not SizeClassYear.objects.exists()


def test_outside_the_14_day_window(setting: Setting) -> None:
    error = refused(setting, start_date=date(2025, 2, 20))
    assert error.codes == ["outside_filing_window"]
    assert "14" in str(error)
    assert "06/03/2025" in str(error) or "6 maart 2025" in str(error)
    assert_nothing_written()


def test_on_the_last_day_of_the_window_it_is_accepted(setting: Setting) -> None:
    assert setting.submit(start_date=date(2025, 2, 24)).pk


def test_under_the_minimum(setting: Setting) -> None:
    error = refused(setting, amount=Decimal("99.99"))
    assert error.codes == ["below_minimum"]
    assert "100,00" in str(error)
    assert_nothing_written()


def test_advice_under_its_minimum(setting: Setting) -> None:
    error = refused(setting, service="advies", registration=setting.advice.number, amount=Decimal("499.00"))
    assert error.codes == ["below_minimum"]


def test_service_excluded_in_that_regime(setting: Setting, clock: Any) -> None:
    # from 1 February 2026 advice only counts for cybersecurity
    clock.move_to(date(2026, 3, 10))
    error = refused(
        setting,
        service="advies",
        registration=setting.advice.number,
        amount=Decimal("2000.00"),
        start_date=date(2026, 3, 5),
    )
    assert error.codes == ["service_not_in_regime"]
    assert_nothing_written()


def test_excluded_service_by_its_title(setting: Setting) -> None:
    error = refused(setting, title="Workshop mindfulness op de werkvloer")
    assert error.codes == ["excluded_service"]


def test_theme_missing(setting: Setting) -> None:
    assert refused(setting, theme="").codes == ["theme_missing"]


def test_theme_not_in_regime(setting: Setting) -> None:
    assert refused(setting, theme="astrologie").codes == ["theme_not_in_regime"]


def test_subtheme_missing(setting: Setting) -> None:
    assert refused(setting, theme="digitalisering").codes == ["subtheme_missing"]


def test_large_enterprise(setting: Setting) -> None:
    assert refused(setting, size_class="GO").codes == ["large_enterprise"]
    assert_nothing_written()


def test_unknown_size_class(setting: Setting) -> None:
    assert refused(setting, size_class="XL").codes == ["unknown_size_class"]


def test_before_any_regime(setting: Setting) -> None:
    error = refused(setting, actor=SYSTEM, on=date(2015, 6, 1), start_date=date(2015, 6, 1), theme="")
    assert error.codes == ["application_before_regime"]


def test_provider_not_registered_unknown_number(setting: Setting) -> None:
    error = refused(setting, registration="DV.O999999")
    assert error.codes == ["provider_not_registered"]
    assert "DV.O999999" in str(error)


def test_provider_not_registered_for_that_service(setting: Setting) -> None:
    assert refused(setting, registration=setting.advice.number).codes == ["provider_not_registered"]


def test_provider_not_registered_on_the_start_date(setting: Setting) -> None:
    Registration = type(setting.training)
    Registration.objects.filter(pk=setting.training.pk).update(valid_from=date(2025, 3, 5))
    error = refused(setting, start_date=date(2025, 3, 4))
    assert error.codes == ["provider_not_registered"]
    assert "04/03/2025" in str(error)


def test_provider_suspended(setting: Setting) -> None:
    Registration = type(setting.training)
    Registration.objects.filter(pk=setting.training.pk).update(status="S")
    assert refused(setting).codes == ["provider_not_registered"]


def test_related_enterprises_share_a_legal_representative(setting: Setting) -> None:
    LegalFunction.objects.create(
        enterprise_id=A, person_number=ELS, function_id="10002", start_date=date(2020, 1, 1)
    )
    error = refused(setting)
    assert error.codes == ["related_enterprise"]
    assert "Leerwijs" in str(error)
    assert_nothing_written()


def test_a_former_shared_representative_does_not_relate(setting: Setting) -> None:
    LegalFunction.objects.create(
        enterprise_id=A,
        person_number=ELS,
        function_id="10002",
        start_date=date(2018, 1, 1),
        end_date=date(2024, 12, 31),
    )
    LegalFunction.objects.create(
        enterprise_id=A, person_number=ELS, function_id="00099", start_date=date(2020, 1, 1)
    )
    assert setting.submit().pk  # ended function, and an auditor does not represent


def test_own_registration_is_related(setting: Setting) -> None:
    # an enterprise is related to itself: it cannot be its own provider
    assert services.related_enterprises(B, B, date(2025, 3, 10)) == ["*"]
    assert services.related_enterprises(B, A, date(2025, 3, 10)) == []


def test_not_eligible_not_active(setting: Setting) -> None:
    Enterprise.objects.filter(pk=B).update(status="ST")
    # nobody acts for an enterprise stopped in the KBO (the rule of the login's per-request check), not even
    # its legal representative; the system (an import, a job) is refused for the rule of eligibility
    with pytest.raises(NotAllowed):
        setting.submit()
    assert not Project.objects.exists()
    error = refused(setting, actor=SYSTEM)
    assert error.codes == ["not_eligible"]
    assert error.refusals[0].params["check"] == "active"


def test_not_eligible_no_establishment_in_flanders(setting: Setting) -> None:
    Address.objects.filter(entity_number=B).update(zipcode="5000")
    error = refused(setting)
    assert error.codes == ["not_eligible"]
    assert error.refusals[0].params["check"] == "flemish_establishment"


def test_not_eligible_legal_form(setting: Setting) -> None:
    Enterprise.objects.filter(pk=B).update(juridical_form="017")  # a vzw
    assert refused(setting).codes == ["legal_form_not_accepted"]


def test_not_eligible_main_activity(setting: Setting) -> None:
    Activity.objects.filter(entity_number=B).update(nace_code="01110")  # agriculture
    assert refused(setting).codes == ["nace_not_accepted"]


def test_main_activity_unknown(setting: Setting) -> None:
    Activity.objects.filter(entity_number=B).delete()
    profile = setting.enterprise.enterprise_profile
    profile.nace_code = ""
    profile.save()
    assert refused(setting).codes == ["nace_unknown"]


def test_cap_used_up(setting: Setting) -> None:
    setting.submit(amount=Decimal("25000.00"))  # 7 500: the whole cap
    error = refused(setting, title="Nog een opleiding")
    assert error.codes == ["cap_used_up"]
    assert "7500" in str(error)
    assert Project.objects.count() == 1
    assert YearBudget.objects.get().used == Decimal("7500.00")
    preview = services.application_preview(**setting.preview_args(), on=date(2025, 3, 10))
    assert preview.codes == ["cap_used_up"]


def test_the_cap_of_another_year_is_separate(setting: Setting, clock: Any) -> None:
    setting.submit(amount=Decimal("25000.00"))
    clock.move_to(date(2026, 3, 10))
    project = setting.submit(on=date(2026, 3, 10), start_date=date(2026, 3, 9), title="Volgend jaar")
    assert project.subsidy == Decimal("300.00")


def test_several_refusals_together(setting: Setting) -> None:
    error = refused(setting, amount=Decimal("50.00"), start_date=date(2025, 1, 1), registration="DV.O999999")
    assert set(error.codes) == {"below_minimum", "outside_filing_window", "provider_not_registered"}


def test_preview_lists_the_refusals(setting: Setting) -> None:
    preview = services.application_preview(
        **setting.preview_args(amount=Decimal("50.00")), on=date(2025, 3, 10)
    )
    assert not preview.ok
    assert preview.codes == ["below_minimum"]
    assert preview.subsidy is None

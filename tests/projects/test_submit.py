"""Submitting an application: the project, its numbers, the budget, the size class lock, audit and e-mail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from stdnum.be import ogm_vcs

from kmop.audit.models import AuditEvent
from kmop.projects import services
from kmop.projects.errors import ApplicationRefused, InvalidInput, NotAllowed
from kmop.projects.models import Project, ProjectStatus, SizeClassYear, YearBudget
from tests.idm.conftest import SYSTEM
from tests.notifications.mail_parts import assert_html_part
from tests.projects.conftest import Setting


def test_submit_creates_a_confirmed_project(setting: Setting, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        project = setting.submit()
    assert project.number == "2025KMO000001"
    assert project.status == ProjectStatus.BEVESTIGD
    assert project.rate == Decimal("0.3000")
    assert project.subsidy == Decimal("300.00")
    assert project.own_contribution == Decimal("700.00")
    assert project.budget_held == Decimal("300.00")
    assert project.application_date == date(2025, 3, 10)
    assert project.deposit_deadline == date(2025, 4, 9)
    assert project.regime_from == date(2023, 1, 1)
    assert ogm_vcs.is_valid(project.structured_reference)
    assert project.structured_reference.startswith("2025000001")
    assert project.structured_reference_display == "+++202/5000/00165+++"
    budget = YearBudget.objects.get(organisation=setting.enterprise, year=2025)
    assert (budget.cap, budget.used) == (Decimal("7500.00"), Decimal("300.00"))
    assert SizeClassYear.objects.get(organisation=setting.enterprise, year=2025).locked_at is not None
    event = AuditEvent.objects.get(action="projects.application.submit")
    assert event.object_id == str(project.pk)
    assert event.organisation_code == setting.enterprise.code
    assert event.after is not None
    assert event.after["subsidy"] == "300.00"
    assert list(project.status_changes.values_list("to_status", flat=True)) == ["Bevestigd"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["els@b.example"]
    assert "2025KMO000001" in mail.outbox[0].subject
    assert "+++202/5000/00165+++" in mail.outbox[0].body
    assert "09/04/2025" in mail.outbox[0].body
    assert_html_part(mail.outbox[0], "nl", "2025KMO000001", "+++202/5000/00165+++")


def test_english_mail(setting: Setting, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    setting.enterprise.enterprise_profile.language = "en"
    setting.enterprise.enterprise_profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        setting.submit()
    assert mail.outbox[0].subject.startswith("SME wallet")
    assert "structured reference" in mail.outbox[0].body
    assert_html_part(mail.outbox[0], "en", "structured reference")


def test_numbers_follow_each_other_per_year(setting: Setting) -> None:
    first = setting.submit()
    second = setting.submit(title="Tweede opleiding")
    assert (first.number, second.number) == ("2025KMO000001", "2025KMO000002")
    assert services.structured_reference_for("2016KMO044855") == "201604485556"
    assert ogm_vcs.is_valid(services.structured_reference_for("2026KMO999999"))


def test_reference_check_97_when_the_rest_is_zero() -> None:
    # 2025000??? ≡ 0 (mod 97): the check digits are 97, never 00
    base = next(n for n in range(2025000001, 2025999999) if n % 97 == 0)
    reference = services.structured_reference_for(f"2025KMO{str(base)[4:]}")
    assert reference.endswith("97")
    assert ogm_vcs.is_valid(reference)


def test_subsidy_limited_to_what_is_left_of_the_cap(setting: Setting) -> None:
    first = setting.submit(amount=Decimal("24000.00"))  # 30 % = 7 200
    assert first.subsidy == Decimal("7200.00")
    second = setting.submit(amount=Decimal("2000.00"), title="Rest")  # 600, only 300 left
    assert second.subsidy == Decimal("300.00")
    assert second.own_contribution == Decimal("1700.00")
    assert YearBudget.objects.get(organisation=setting.enterprise, year=2025).used == Decimal("7500.00")


def test_subsidy_rounded_up_to_the_cent(setting: Setting) -> None:
    project = setting.submit(amount=Decimal("333.33"))
    assert project.subsidy == Decimal("100.00")  # 99.999 → 100.00 in the enterprise's favour
    assert project.own_contribution == Decimal("233.33")


def test_size_class_locked_at_the_first_application_of_the_year(setting: Setting) -> None:
    setting.submit(size_class="MO")
    second = setting.submit(size_class="KO", title="Nog een")
    assert second.size_class == "MO"
    assert second.rate == Decimal("0.2000")
    preview = services.application_preview(**setting.preview_args(size_class="KO"), on=date(2025, 3, 10))
    assert preview.size_class == "MO"
    assert preview.size_class_locked


def test_a_refused_application_locks_nothing(setting: Setting) -> None:
    with pytest.raises(ApplicationRefused):
        setting.submit(amount=Decimal("50.00"))
    assert not SizeClassYear.objects.exists()
    assert not YearBudget.objects.exists()
    assert not Project.objects.exists()


def test_double_submission_gives_one_project(setting: Setting) -> None:
    first = setting.submit(idempotency_key="form-token-1")
    again = setting.submit(idempotency_key="form-token-1")
    assert again.pk == first.pk
    assert Project.objects.count() == 1
    assert YearBudget.objects.get().used == Decimal("300.00")
    assert AuditEvent.objects.filter(action="projects.application.submit").count() == 1
    other = setting.submit(idempotency_key="form-token-2")
    assert other.pk != first.pk


def test_another_enterprise_cannot_apply_for_b(setting: Setting) -> None:
    with pytest.raises(NotAllowed):
        setting.submit(actor=setting.sofie)  # Sofie represents A, not B
    from tests.idm.conftest import ELS, actor

    with pytest.raises(NotAllowed):  # Els acting for another organisation ("aanmelden als" A)
        setting.submit(actor=actor(ELS, "0912345673"))
    assert not Project.objects.exists()


def test_preview_gives_the_numbers_without_writing(setting: Setting) -> None:
    preview = services.application_preview(**setting.preview_args(), on=date(2025, 3, 10))
    assert preview.ok
    assert (preview.subsidy, preview.own_contribution) == (Decimal("300.00"), Decimal("700.00"))
    assert preview.cap_left == Decimal("7500.00")
    assert preview.deposit_deadline == date(2025, 4, 9)
    assert not Project.objects.exists()
    assert not YearBudget.objects.exists()


def test_regime_of_the_application_date(setting: Setting) -> None:
    # the same training filed on 10 March 2018: 40 % for a small enterprise, no theme needed, cap 10 000
    project = setting.submit(actor=SYSTEM, on=date(2018, 3, 10), start_date=date(2018, 3, 1), theme="")
    assert project.rate == Decimal("0.4000")
    assert project.number.startswith("2018KMO")
    assert project.regime_from == date(2016, 4, 1)
    assert YearBudget.objects.get(year=2018).cap == Decimal("10000.00")


def test_a_person_cannot_backdate_an_application(setting: Setting) -> None:
    with pytest.raises(InvalidInput):
        setting.submit(on=date(2025, 3, 1), start_date=date(2025, 2, 27))
    assert not Project.objects.exists()

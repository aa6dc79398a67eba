"""The life cycle (RULES.md §3): each transition, who may do it, the budget, history, audit, e-mail; nothing
leaves a final status."""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.projects import services
from kmop.projects.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from kmop.projects.models import FINAL_STATUSES, Project, ProjectStatus, YearBudget
from tests.idm.conftest import SYSTEM, TOM, N, actor
from tests.projects.conftest import Setting

S = ProjectStatus


def used(setting: Setting, year: int = 2025) -> Decimal:
    return YearBudget.objects.get(organisation=setting.enterprise, year=year).used


def lopend(setting: Setting, **overrides: Any) -> Project:
    project = setting.submit(**overrides)
    return services.project_mark_deposited(actor=SYSTEM, project=project)


def test_the_table_has_no_way_out_of_a_final_status() -> None:
    for transition in services.TRANSITIONS.values():
        assert not transition.sources & FINAL_STATUSES
        assert transition.target in S.values


def test_mark_deposited(setting: Setting) -> None:
    project = lopend(setting)
    assert project.status == S.LOPEND
    assert project.deposited_at is not None
    assert list(project.status_changes.values_list("action", flat=True)) == ["submit", "deposit"]
    assert AuditEvent.objects.filter(action="projects.project.deposit", object_id=str(project.pk)).exists()


def test_the_enterprise_cannot_mark_its_own_deposit(setting: Setting) -> None:
    project = setting.submit()
    with pytest.raises(NotAllowed):
        services.project_mark_deposited(actor=setting.els, project=project)
    project.refresh_from_db()
    assert project.status == S.BEVESTIGD


def test_cancel_by_the_enterprise_releases_the_budget(
    setting: Setting, django_capture_on_commit_callbacks: Any
) -> None:
    project = setting.submit()
    assert used(setting) == Decimal("300.00")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        project = services.project_cancel(actor=setting.els, project=project, reason="")
    assert project.status == S.GEANNULEERD
    assert project.budget_held == Decimal("0.00")
    assert used(setting) == Decimal("0.00")
    event = AuditEvent.objects.get(action="projects.project.cancel")
    assert event.before is not None
    assert event.before["status"] == "Bevestigd"
    assert len(mail.outbox) == 1
    assert "geannuleerd" in mail.outbox[0].subject


def test_cancel_by_the_provider_needs_a_reason_and_mails_it(
    setting: Setting, django_capture_on_commit_callbacks: Any
) -> None:
    project = setting.submit()
    with pytest.raises(InvalidInput):
        services.project_cancel(actor=setting.sofie, project=project, reason=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.project_cancel(actor=setting.sofie, project=project, reason="De opleiding gaat niet door.")
    assert "De opleiding gaat niet door." in mail.outbox[0].body
    assert "Leerwijs" in mail.outbox[0].body


def test_cancel_only_from_bevestigd(setting: Setting) -> None:
    project = lopend(setting)
    with pytest.raises(TransitionNotAllowed, match="Lopend"):
        services.project_cancel(actor=setting.els, project=project, reason="te laat")
    assert used(setting) == Decimal("300.00")


def test_another_enterprise_cannot_touch_the_project(setting: Setting) -> None:
    project = setting.submit()
    tom = actor(TOM, N)
    for call in (
        lambda: services.project_cancel(actor=tom, project=project, reason="x"),
        lambda: services.project_request_stop(actor=tom, project=project, reason="x"),
    ):
        with pytest.raises(NotAllowed):
            call()
    project.refresh_from_db()
    assert project.status == S.BEVESTIGD
    assert used(setting) == Decimal("300.00")
    assert not AuditEvent.objects.filter(action="projects.project.cancel").exists()


def test_request_stop_by_the_enterprise_and_by_the_provider(setting: Setting) -> None:
    project = lopend(setting)
    with pytest.raises(InvalidInput):
        services.project_request_stop(actor=setting.els, project=project, reason="")
    with pytest.raises(InvalidInput, match="bewijsstuk"):
        services.project_request_stop(actor=setting.sofie, project=project, reason="Deelnemer ziek")
    project = services.project_request_stop(
        actor=setting.sofie, project=project, reason="Deelnemer ziek", proof="attest.pdf"
    )
    assert project.status == S.STOPZETTING_AANGEVRAAGD
    assert project.status_changes.last().proof_name == "attest.pdf"  # type: ignore[union-attr]
    other = lopend(setting, title="Andere")
    assert services.project_request_stop(
        actor=setting.els, project=other, reason="Niet meer nodig"
    ).status == (S.STOPZETTING_AANGEVRAAGD)


def test_request_stop_only_from_lopend(setting: Setting) -> None:
    project = setting.submit()
    with pytest.raises(TransitionNotAllowed):
        services.project_request_stop(actor=setting.els, project=project, reason="x")


def test_stop_approved_in_the_application_year_releases_the_budget(setting: Setting) -> None:
    project = lopend(setting)
    project = services.project_request_stop(actor=setting.els, project=project, reason="Niet meer nodig")
    with pytest.raises(NotAllowed):
        services.project_decide_stop(actor=setting.els, project=project, approve=True, reason="ok")
    project = services.project_decide_stop(
        actor=setting.staff, project=project, approve=True, reason="Akkoord"
    )
    assert project.status == S.GESTOPT
    assert used(setting) == Decimal("0.00")


def test_stop_approved_in_a_later_year_keeps_the_budget(setting: Setting, clock: Any) -> None:
    project = lopend(setting)
    project = services.project_request_stop(actor=setting.els, project=project, reason="Niet meer nodig")
    clock.move_to(date(2026, 1, 5))
    project = services.project_decide_stop(
        actor=setting.staff, project=project, approve=True, reason="Akkoord"
    )
    assert project.status == S.GESTOPT
    assert project.budget_held == Decimal("300.00")
    assert used(setting) == Decimal("300.00")


def test_stop_refused_goes_back_to_lopend_and_is_mailed(
    setting: Setting, django_capture_on_commit_callbacks: Any
) -> None:
    project = lopend(setting)
    project = services.project_request_stop(actor=setting.els, project=project, reason="Niet meer nodig")
    with pytest.raises(InvalidInput):
        services.project_decide_stop(actor=setting.staff, project=project, approve=False, reason="")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        project = services.project_decide_stop(
            actor=setting.staff, project=project, approve=False, reason="Geen bewijs"
        )
    assert project.status == S.LOPEND
    assert used(setting) == Decimal("300.00")
    (message,) = mail.outbox
    assert project.number in message.subject
    assert "geweigerd" in message.subject
    assert "Motivering: Geen bewijs" in message.body


def test_mark_finished(setting: Setting) -> None:
    project = services.project_mark_finished(actor=SYSTEM, project=lopend(setting))
    assert project.status == S.AFGEWERKT
    assert used(setting) == Decimal("300.00")


def test_close_expired_only_after_the_year_after(setting: Setting, clock: Any) -> None:
    project = lopend(setting)
    with pytest.raises(TransitionNotAllowed, match="31/12/2026"):
        services.project_close_expired(actor=SYSTEM, project=project)
    clock.move_to(date(2027, 1, 1))
    project = services.project_close_expired(actor=SYSTEM, project=project)
    assert project.status == S.AFGEWERKT
    assert "31/12/2026" in project.note


def _final(setting: Setting, status: str) -> Project:
    project = lopend(setting) if status != S.GEANNULEERD else setting.submit()
    if status == S.GEANNULEERD:
        return services.project_cancel(actor=setting.els, project=project, reason="")
    if status == S.AFGEWERKT:
        return services.project_mark_finished(actor=SYSTEM, project=project)
    project = services.project_request_stop(actor=setting.els, project=project, reason="stop")
    return services.project_decide_stop(actor=setting.staff, project=project, approve=True, reason="ok")


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_nothing_leaves_a_final_status(setting: Setting, status: str, clock: Any) -> None:
    project = _final(setting, status)
    assert project.status == status
    held = project.budget_held
    actions: list[Callable[[], Any]] = [
        lambda: services.project_mark_deposited(actor=SYSTEM, project=project),
        lambda: services.project_cancel(actor=setting.els, project=project, reason="x"),
        lambda: services.project_request_stop(actor=setting.els, project=project, reason="x"),
        lambda: services.project_decide_stop(actor=setting.staff, project=project, approve=True, reason="x"),
        lambda: services.project_decide_stop(actor=setting.staff, project=project, approve=False, reason="x"),
        lambda: services.project_mark_finished(actor=SYSTEM, project=project),
    ]
    for action in actions:
        with pytest.raises(TransitionNotAllowed, match="eindstatus"):
            action()
    clock.move_to(date(2027, 1, 1))
    with pytest.raises(TransitionNotAllowed, match="eindstatus"):
        services.project_close_expired(actor=SYSTEM, project=project)
    project.refresh_from_db()
    assert (project.status, project.budget_held) == (status, held)


# --- the wallet --------------------------------------------------------------------------------------------


@pytest.fixture
def wallet_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record the calls of the wallet's hooks: on the real ``kmop.wallet.services`` once it exists (the test
    then fails if the wallet lacks a hook), else on a stand-in module."""
    calls: list[tuple[str, str]] = []
    if importlib.util.find_spec("kmop.wallet") is not None:
        module: Any = importlib.import_module("kmop.wallet.services")
        for name in ("release_on_cancel", "settle_stop", "settle_close"):
            assert callable(getattr(module, name, None)), f"kmop.wallet.services.{name} is missing"
    else:
        module = types.ModuleType("kmop.wallet.services")
        monkeypatch.setitem(sys.modules, "kmop.wallet", types.ModuleType("kmop.wallet"))
        monkeypatch.setitem(sys.modules, "kmop.wallet.services", module)
    for name in ("release_on_cancel", "settle_stop", "settle_close"):
        monkeypatch.setattr(
            module,
            name,
            lambda project, _name=name, **_kw: calls.append((_name, project.number)),
            raising=False,
        )
    return calls


def test_cancel_and_stop_tell_the_wallet(setting: Setting, wallet_calls: list[tuple[str, str]]) -> None:
    cancelled = services.project_cancel(actor=setting.els, project=setting.submit(), reason="")
    project = lopend(setting, title="Twee")
    project = services.project_request_stop(actor=setting.els, project=project, reason="stop")
    project = services.project_decide_stop(actor=setting.staff, project=project, approve=True, reason="ok")
    assert wallet_calls == [("release_on_cancel", cancelled.number), ("settle_stop", project.number)]


def test_closing_after_the_term_tells_the_wallet(
    setting: Setting, wallet_calls: list[tuple[str, str]], clock: Any
) -> None:
    project = lopend(setting)
    clock.move_to(date(2027, 1, 1))
    services.project_close_expired(actor=SYSTEM, project=project)
    assert wallet_calls == [("settle_close", project.number)]


def test_without_the_wallet_the_hook_is_none() -> None:
    if importlib.util.find_spec("kmop.wallet") is None:
        assert services.wallet_hook("release_on_cancel") is None
    else:
        assert services.wallet_hook("release_on_cancel") is not None


def test_mark_deposited_in_bulk(setting: Setting) -> None:
    first = setting.submit()
    second = setting.submit(title="Twee")
    assert services.project_mark_deposited_bulk(actor=SYSTEM, projects=[first, second, first]) == 2
    for project in (first, second):
        project.refresh_from_db()
        assert project.status == S.LOPEND
        assert project.deposited_at is not None
        assert list(project.status_changes.values_list("action", flat=True)) == ["submit", "deposit"]
    assert AuditEvent.objects.filter(action="projects.project.deposit").count() == 2
    third = setting.submit(title="Drie")
    with pytest.raises(TransitionNotAllowed, match="Lopend"):
        services.project_mark_deposited_bulk(actor=SYSTEM, projects=[third, first])
    third.refresh_from_db()
    assert third.status == S.BEVESTIGD  # nothing changed
    with pytest.raises(NotAllowed):
        services.project_mark_deposited_bulk(actor=setting.els, projects=[third])


def test_a_back_office_account_may_mark_a_deposit(setting: Setting) -> None:
    from kmop.acm.models import User

    clerk = User.objects.create(username="clerk", is_staff=True)
    project = services.project_mark_deposited(actor=Actor.from_user(clerk), project=setting.submit())
    assert project.status == S.LOPEND

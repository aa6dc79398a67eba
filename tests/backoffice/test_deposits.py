"""Unmatched deposits (issue 6): a credit that matched no project is listed with its refund waiting; staff
assign it to the project the sender meant (Bevestigd, the exact own contribution: deposit + subsidy, Lopend,
the refund withdrawn) or refund it to an account they give. Bad input (a wrong amount, an unknown project, a
project not in Bevestigd, an invalid IBAN, no reason, a security-code login, a deposit handled meanwhile) is
refused with a clear message and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.test import Client

from kmop.acm import session as keys
from kmop.audit.models import AuditEvent
from kmop.projects.models import Project, ProjectStatus
from kmop.wallet import camt
from kmop.wallet import services as wallet_services
from kmop.wallet.models import AccountKind, Payout, TransactionKind
from kmop.wallet.reconcile import payout_version, unmatched_assign, unmatched_open, unmatched_refund
from kmop.wallet.services import WalletError
from tests.backoffice.conftest import TOTP_ACR, Credit, Setting, statement, stream
from tests.projects.conftest import SYSTEM
from tests.wallet.conftest import assert_balanced

LIST = "/backoffice/stortingen/"
EID = "urn:be:vlaanderen:authmech:eid"
#: a structured reference with a valid check digit that belongs to no project
UNKNOWN_REF = "+++090/9337/55493+++"


def unmatched(amount: str, *, reference: str = UNKNOWN_REF, iban: str = "DE89370400440532013000") -> Payout:
    """Import a statement with one credit that matches nothing; its refund payout."""
    data = statement(Credit(amount, reference, servicer_ref=f"BANK-{amount}-{reference}", debtor_iban=iban))
    report = camt.import_statement(stream(data), actor=SYSTEM)
    assert report.refunds == 1
    return unmatched_open().latest("id")


def url(payout: Payout) -> str:
    return f"{LIST}{payout.pk}/"


def assign(
    client: Client, payout: Payout, project: str, reason: str = "Mededeling verkeerd overgetypt."
) -> str:
    response = client.post(
        url(payout), {"beslissing": "toewijzen", "toewijzen-project": project, "toewijzen-reason": reason}
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_an_unmatched_credit_is_listed_with_its_refund(staff: Client, setting: Setting) -> None:
    payout = unmatched("700.00")
    html = staff.get(LIST).content.decode()
    assert url(payout) in html
    assert "700,00" in html
    assert "DE89370400440532013000" in html
    assert "onbekende gestructureerde mededeling" in html
    assert staff.get(url(payout)).status_code == 200


def test_assign_books_the_deposit_and_the_subsidy_and_withdraws_the_refund(
    staff: Client, setting: Setting
) -> None:
    project = setting.submit()
    assert project.status == ProjectStatus.BEVESTIGD
    payout = unmatched(str(project.own_contribution))
    location = assign(staff, payout, project.number.lower())
    assert location == LIST
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    assert wallet_services.project_balance(project) == project.own_contribution + project.subsidy
    assert not Payout.objects.filter(pk=payout.pk).exists()
    assert wallet_services.account_balance(wallet_services.system_account(AccountKind.REFUNDS)) == 0
    assert_balanced()
    event = AuditEvent.objects.get(action="wallet.unmatched.assign")
    assert event.reason == "Mededeling verkeerd overgetypt."
    assert event.after["project"] == project.number
    assert event.after["organisation"] == project.organisation.code  # for which enterprise
    assert event.organisation_code == setting.world.vlaio.code
    assert project.status_changes.latest("at", "id").action == "deposit"
    listed = staff.get(LIST).content.decode()
    assert url(payout) not in listed
    assert "De storting van € 700,00 is geboekt als eigen bijdrage" in listed  # a Dutch amount


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong_amount", "Het bedrag van de storting (€ 701,00) is niet de eigen bijdrage van project"),
        ("unknown", "Er is geen project met nummer 2025KMO999999."),
        ("lopend", "enkel een project in status Bevestigd wacht op een storting"),
        ("no_reason", "Geef een reden."),
    ],
)
def test_assign_refuses_bad_input_and_changes_nothing(
    staff: Client, setting: Setting, case: str, message: str
) -> None:
    project = setting.submit()
    payout = unmatched(str(project.own_contribution + (Decimal("1.00") if case == "wrong_amount" else 0)))
    number, reason = project.number, "Mededeling verkeerd."
    if case == "unknown":
        number = "2025KMO999999"
    elif case == "lopend":
        Project.objects.filter(pk=project.pk).update(status=ProjectStatus.LOPEND)
    elif case == "no_reason":
        reason = "   "
    transactions = wallet_services.LedgerTransaction.objects.count()
    html = assign(staff, payout, number, reason)
    assert message in html
    assert "Er is een probleem" in html
    assert Payout.objects.filter(pk=payout.pk, batch__isnull=True).exists()
    assert wallet_services.LedgerTransaction.objects.count() == transactions
    assert not AuditEvent.objects.filter(action="wallet.unmatched.assign").exists()


def test_refund_to_a_given_account(staff: Client, setting: Setting) -> None:
    payout = unmatched("125.50", iban="XX00")  # the sender's account is not a valid IBAN: a manual refund
    assert payout.iban == ""
    data = {
        "beslissing": "terugbetalen",
        "terugbetalen-iban": "BE71 0961 2345 6769",
        "terugbetalen-name": "Onderneming B",
        "terugbetalen-reason": "Rekening telefonisch bevestigd.",
    }
    assert staff.post(url(payout), data)["Location"] == LIST
    assert "De storting van € 125,50 wordt met het volgende" in staff.get(LIST).content.decode()
    payout.refresh_from_db()
    assert (payout.iban, payout.name) == ("BE71096123456769", "Onderneming B")
    event = AuditEvent.objects.get(action="wallet.unmatched.refund")
    assert (event.before["iban"], event.after["iban"]) == ("", "BE71096123456769")
    # the next payment file pays it
    content = wallet_services.payouts_export_pain001(actor=setting.staff)
    assert b"BE71096123456769" in content
    assert b"125.50" in content


def test_refund_refuses_an_invalid_iban(staff: Client, setting: Setting) -> None:
    payout = unmatched("125.50", iban="XX00")
    data = {
        "beslissing": "terugbetalen",
        "terugbetalen-iban": "BE71 0961 2345 6768",
        "terugbetalen-name": "Onderneming B",
        "terugbetalen-reason": "Rekening telefonisch bevestigd.",
    }
    html = staff.post(url(payout), data).content.decode()
    assert "Dit is geen geldig IBAN-rekeningnummer" in html
    payout.refresh_from_db()
    assert payout.iban == ""
    assert not AuditEvent.objects.filter(action="wallet.unmatched.refund").exists()


def test_a_deposit_exported_meanwhile_is_not_decided_again(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    payout = unmatched(str(project.own_contribution))
    page = staff.get(url(payout))
    assert page.status_code == 200
    wallet_services.payouts_export_pain001(actor=setting.staff)  # a colleague exported the refunds
    response = staff.post(
        url(payout), {"beslissing": "toewijzen", "toewijzen-project": project.number, "toewijzen-reason": "x"}
    )
    assert response["Location"] == LIST
    follow = staff.get(LIST).content.decode()
    assert "werd al behandeld" in follow
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    # the service refuses it too, under the row lock
    with pytest.raises(WalletError) as refused:
        unmatched_assign(
            actor=replace(setting.staff, acr=EID),
            payout_id=payout.pk,
            project_number=project.number,
            reason="x",
        )
    assert refused.value.code == "already_handled"


def test_the_service_wants_a_person_at_level_high(setting: Setting) -> None:
    project = setting.submit()
    payout = unmatched(str(project.own_contribution))
    with pytest.raises(WalletError) as refused:
        unmatched_assign(
            actor=replace(setting.staff, acr=TOTP_ACR),
            payout_id=payout.pk,
            project_number=project.number,
            reason="x",
        )
    assert refused.value.code == "level_high"
    assert Payout.objects.filter(pk=payout.pk).exists()


def test_the_second_of_two_decisions_is_refused(setting: Setting) -> None:
    project = setting.submit()
    payout = unmatched(str(project.own_contribution))
    an = replace(setting.staff, acr=EID)
    unmatched_assign(actor=an, payout_id=payout.pk, project_number=project.number, reason="juist")
    with pytest.raises(WalletError) as refused:
        unmatched_assign(actor=an, payout_id=payout.pk, project_number=project.number, reason="juist")
    assert "intussen al behandeld" in str(refused.value)
    assert wallet_services.project_total(project, TransactionKind.DEPOSIT) == project.own_contribution


def test_a_security_code_login_may_look_but_not_decide(staff: Client, setting: Setting) -> None:
    project = setting.submit()
    payout = unmatched(str(project.own_contribution))
    session = staff.session
    session[keys.ACR] = TOTP_ACR
    session.save()
    page = staff.get(url(payout)).content.decode()
    assert 'id="assign-form"' not in page
    response = staff.post(
        url(payout), {"beslissing": "toewijzen", "toewijzen-project": project.number, "toewijzen-reason": "x"}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert Payout.objects.filter(pk=payout.pk).exists()


def test_the_queue_is_paged(staff: Client, setting: Setting) -> None:
    credits = [Credit(f"{10 + i}.00", UNKNOWN_REF, servicer_ref=f"BANK-PAGE-{i}") for i in range(51)]
    camt.import_statement(stream(statement(*credits)), actor=SYSTEM)
    first = staff.get(LIST)
    assert len(first.context["deposits"]) == 50
    assert first.context["count"] == 51
    html = first.content.decode()
    assert "51 stortingen wachten op terugbetaling." in html
    assert "?pagina=2#unmatched-deposits" in html
    second = staff.get(f"{LIST}?pagina=2")
    assert [d.amount for d in second.context["deposits"]] == [Decimal("60.00")]


def test_a_decision_on_a_refund_a_colleague_changed_meanwhile_is_refused(
    staff: Client, setting: Setting
) -> None:
    """Staff decide on what the page showed: a colleague's new refund account after it is not overwritten
    (the page's version, checked under the row lock), and the page then shows the new account."""
    project = setting.submit()
    payout = unmatched(str(project.own_contribution))
    page = staff.get(url(payout)).content.decode()
    seen = payout_version(payout)
    assert f'name="versie" value="{seen}"' in page
    # a colleague refunds it to another account meanwhile
    unmatched_refund(
        actor=replace(setting.staff, acr=EID),
        payout_id=payout.pk,
        iban="BE71 0961 2345 6769",
        name="Onderneming B",
        reason="Rekening telefonisch bevestigd.",
    )
    before = AuditEvent.objects.count()
    refund = {
        "beslissing": "terugbetalen",
        "versie": seen,
        "terugbetalen-iban": "DE89370400440532013000",
        "terugbetalen-name": "Afzender",
        "terugbetalen-reason": "Terug naar de afzender.",
    }
    html = staff.post(url(payout), refund).content.decode()
    assert (
        "Een collega heeft deze storting intussen gewijzigd: ze wordt nu terugbetaald op BE71096123456769"
        in html
    )
    assignment = {
        "beslissing": "toewijzen",
        "versie": seen,
        "toewijzen-project": project.number,
        "toewijzen-reason": "Mededeling verkeerd overgetypt.",
    }
    assert "intussen gewijzigd" in staff.post(url(payout), assignment).content.decode()
    payout.refresh_from_db()
    assert (payout.iban, payout.name) == ("BE71096123456769", "Onderneming B")
    project.refresh_from_db()
    assert project.status == ProjectStatus.BEVESTIGD
    assert AuditEvent.objects.count() == before
    # on the page as it is now, the decision is taken
    now = payout_version(payout)
    assert f'name="versie" value="{now}"' in html
    assert staff.post(url(payout), {**assignment, "versie": now})["Location"] == LIST
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND

"""Staff edit legal representatives in the admin: through the audited services, always with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.registers.models import Enterprise, LegalFunction, LegalFunctionCode, NationalRegisterPerson
from kmop.registers.services import legal_function_codes_load

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def register() -> None:
    legal_function_codes_load(actor=Actor.system("test"))
    Enterprise.objects.create(
        enterprise_number="0403170701",
        status="AC",
        juridical_situation="000",
        type_of_enterprise="2",
        juridical_form="610",
        start_date=date(2010, 1, 1),
    )
    NationalRegisterPerson.objects.create(
        national_number="85073003328",
        last_name="Peeters",
        first_name="Jan",
        birth_date=date(1985, 7, 30),
        sex="M",
    )


def _function() -> LegalFunction:
    return LegalFunction.objects.create(
        enterprise_id="0403170701",
        person_number="85073003328",
        function_id="10006",
        start_date=date(2015, 2, 1),
    )


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "enterprise_number": "0403.170.701",
        "person_number": "85.07.30-033.28",
        "function": "10006",
        "start_date": "2015-02-01",
        "end_date": "",
        "reason": "Benoeming gepubliceerd in het Staatsblad",
    }
    data.update(overrides)
    return data


def test_add_a_legal_function_with_a_reason(admin_client: Client) -> None:
    response = admin_client.post(reverse("admin:registers_legalfunction_add"), _form())
    assert response.status_code == 302
    function = LegalFunction.objects.get()
    assert (function.enterprise_id, function.person_number, function.function_id) == (
        "0403170701",
        "85073003328",
        "10006",
    )
    event = AuditEvent.objects.get(action="legal_function.create")
    assert event.object_id == str(function.pk)
    assert event.reason == "Benoeming gepubliceerd in het Staatsblad"
    assert event.before is None
    assert event.after["person_number"] == "85073003328"
    assert event.actor is not None
    assert event.actor.is_superuser


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"enterprise_number": "0403.170.702"}, "enterprise_number"),
        ({"person_number": "85.07.30-033.29"}, "person_number"),
        ({"end_date": "2014-12-31"}, "end_date"),
    ],
)
def test_add_refuses_wrong_data(admin_client: Client, overrides: dict[str, str], field: str) -> None:
    response = admin_client.post(reverse("admin:registers_legalfunction_add"), _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not LegalFunction.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="legal_function.").exists()


def test_add_refuses_a_duplicate(admin_client: Client) -> None:
    _function()
    response = admin_client.post(reverse("admin:registers_legalfunction_add"), _form())
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert LegalFunction.objects.count() == 1


def test_end_a_legal_function(admin_client: Client) -> None:
    function = _function()
    url = reverse("admin:registers_legalfunction_change", args=[function.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "0403.170.701" in page.content.decode()
    response = admin_client.post(url, _form(end_date="2024-06-30", reason="Ontslag"))
    assert response.status_code == 302
    function.refresh_from_db()
    assert function.end_date == date(2024, 6, 30)
    event = AuditEvent.objects.get(action="legal_function.update")
    assert event.before["end_date"] is None
    assert event.after["end_date"] == "2024-06-30"
    assert event.reason == "Ontslag"


def test_change_without_a_reason_changes_nothing(admin_client: Client) -> None:
    function = _function()
    url = reverse("admin:registers_legalfunction_change", args=[function.pk])
    response = admin_client.post(url, _form(end_date="2024-06-30", reason=" "))
    assert response.status_code == 200
    function.refresh_from_db()
    assert function.end_date is None


def test_remove_a_legal_function_with_a_reason(admin_client: Client) -> None:
    function = _function()
    url = reverse("admin:registers_legalfunction_change", args=[function.pk])
    response = admin_client.post(url, _form(remove="on", reason="Ingevoerd bij de verkeerde onderneming"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:registers_legalfunction_changelist")
    assert not LegalFunction.objects.exists()
    event = AuditEvent.objects.get(action="legal_function.delete")
    assert event.before["function_code"] == "10006"
    assert event.after is None
    assert event.reason == "Ingevoerd bij de verkeerde onderneming"


def test_the_delete_page_without_a_reason_is_closed(admin_client: Client) -> None:
    function = _function()
    response = admin_client.post(
        reverse("admin:registers_legalfunction_delete", args=[function.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert LegalFunction.objects.exists()


def test_list_and_search(admin_client: Client) -> None:
    _function()
    url = reverse("admin:registers_legalfunction_changelist")
    assert "85.07.30-033.28" in admin_client.get(url).content.decode()
    assert admin_client.get(url, {"q": "0403.170.701"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"q": "85.07.30-033.28"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"q": "0123.456.749"}).context["cl"].result_count == 0


def test_kbo_tables_are_read_only(admin_client: Client) -> None:
    changelist = admin_client.get(reverse("admin:registers_enterprise_changelist"), {"q": "0403.170.701"})
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert admin_client.get(reverse("admin:registers_enterprise_add")).status_code == 403
    view = admin_client.get(reverse("admin:registers_enterprise_change", args=["0403170701"]))
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    response = admin_client.post(
        reverse("admin:registers_enterprise_change", args=["0403170701"]), {"status": "ST"}
    )
    assert response.status_code == 403
    assert Enterprise.objects.get().status == "AC"
    for name in (
        "establishment",
        "denomination",
        "address",
        "contact",
        "activity",
        "branch",
        "kbocode",
        "kboextract",
    ):
        assert admin_client.get(reverse(f"admin:registers_{name}_changelist")).status_code == 200


def test_change_a_function_code_with_a_reason(admin_client: Client) -> None:
    url = reverse("admin:registers_legalfunctioncode_change", args=["10006"])
    data = {"label_nl": "Zaakvoerder", "label_en": "Manager", "represents": "", "reason": "Test"}
    assert admin_client.post(url, data).status_code == 302
    assert not LegalFunctionCode.objects.get(code="10006").represents
    event = AuditEvent.objects.get(action="legal_function_code.update")
    assert (event.before["represents"], event.after["represents"]) == (True, False)
    assert admin_client.get(reverse("admin:registers_legalfunctioncode_add")).status_code == 403


def test_correct_a_person_with_a_reason(admin_client: Client) -> None:
    url = reverse("admin:registers_nationalregisterperson_change", args=["85073003328"])
    data = {
        "last_name": "Peeters",
        "first_name": "Johan",
        "birth_date": "1985-07-30",
        "sex": "M",
        "reason": "Typo",
    }
    assert admin_client.post(url, data).status_code == 302
    assert NationalRegisterPerson.objects.get().first_name == "Johan"
    event = AuditEvent.objects.get(action="national_register_person.update")
    assert (event.before["first_name"], event.after["first_name"]) == ("Jan", "Johan")
    assert event.object_id == "85073003328"
    listing = admin_client.get(
        reverse("admin:registers_nationalregisterperson_changelist"), {"q": "85.07.30-033.28"}
    )
    assert listing.context["cl"].result_count == 1


def test_staff_without_rights_sees_nothing(client: Client, django_user_model: type) -> None:
    user = django_user_model.objects.create_user(username="clerk", password="x-Secret-123", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:registers_legalfunction_changelist")).status_code == 403
    assert client.post(reverse("admin:registers_legalfunction_add"), _form()).status_code == 403
    assert not LegalFunction.objects.exists()

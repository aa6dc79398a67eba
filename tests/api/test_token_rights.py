# ruff: noqa: F811  (the projects tests' fixtures, imported by name)
"""A person's API token follows the rule of the per-request check of the web login
(``kmop.acm.selectors.acting_roles``, ``ActingOrganisationMiddleware``): an ended right, a paused work
relation, an enterprise stopped in the KBO stop the token at once, as they stop the web; a natural-person
enterprise's representative needs a grant (IAM.md). For an enterprise's token and a provider's."""

from __future__ import annotations

import pytest

from kmop.acm.selectors import acting_roles
from kmop.api import services
from kmop.api.models import ApiToken, TokenScope
from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.idm.errors import NotAllowed
from kmop.idm.models import Organisation, RightGrant, WorkRelation
from kmop.providers import services as provider_services
from kmop.providers.models import Provider
from kmop.registers.models import Enterprise
from tests.idm.conftest import BART, JONAS, SOFIE, SYSTEM, TOM, A, B, N, actor
from tests.projects.conftest import (  # noqa: F401  (fixtures)
    Setting,
    _fresh_cache,
    app_manager,
    clock,
    setting,
    world,
)
from tests.providers.conftest import IBAN_2, sign_up_data

from .test_tokens import ENTERPRISE, bearer

PROVIDER = "/api/v1/provider/registrations/"
GEBRUIKER = "VLAIOInkomGebruikerNieuw-Gebruiker"


def grant(number: str, organisation: Organisation, profile: str) -> RightGrant:
    relation = idm_services.work_relation_create(
        actor=SYSTEM,
        person=idm_services.person_add_by_number(actor=SYSTEM, organisation=organisation, number=number),
        organisation=organisation,
        category="vast",
        phone="+3292223344",
        email="x@example.org",
    )
    (made,) = idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruikerNieuw", context_values=[profile]
    )
    return made


def token_for(
    who: Actor, organisation: Organisation, scope: str = TokenScope.ENTERPRISE
) -> tuple[ApiToken, str]:
    return services.api_token_create(
        actor=who, organisation=organisation, name="Boekhouding", validity_days=90, scope=scope
    )


def works(secret: str) -> bool:
    return services.api_token_check(secret).actor is not None


def assert_refused(secret: str, url: str, code: str) -> None:
    """The token no longer authenticates: the check names why, and the API answers 401."""
    check = services.api_token_check(secret)
    assert check.actor is None
    assert check.code == code
    assert bearer(secret).get(url).status_code == 401


def web_roles(number: str, organisation: Organisation) -> tuple[str, ...]:
    """What the web's per-request check (``ActingOrganisationMiddleware``) finds: empty = refused."""
    return acting_roles(number, organisation.pk)


# --- an enterprise's token ------------------------------------------------------------------------------


@pytest.fixture
def tom(setting: Setting) -> tuple[RightGrant, str]:
    """Tom, sole trader of the natural-person enterprise N (also its legal representative in the KBO), with
    the profile Gebruiker by a grant, and his token for N."""
    made = grant(TOM, setting.world.n, "Gebruiker")
    _, secret = token_for(actor(TOM, N), setting.world.n)
    assert web_roles(TOM, setting.world.n) == (GEBRUIKER,)
    assert works(secret)
    assert bearer(secret).get(ENTERPRISE).status_code == 200
    return made, secret


def test_an_ended_grant_stops_a_natural_person_enterprises_token(
    setting: Setting, tom: tuple[RightGrant, str]
) -> None:
    made, secret = tom
    idm_services.right_grant_end(actor=SYSTEM, grant=made)
    assert web_roles(TOM, setting.world.n) == ()
    assert_refused(secret, ENTERPRISE, "token_creator_not_allowed")


def test_a_paused_work_relation_stops_a_natural_person_enterprises_token(
    setting: Setting, tom: tuple[RightGrant, str]
) -> None:
    made, secret = tom
    relation = WorkRelation.objects.get(pk=made.work_relation_id)
    idm_services.work_relation_pause(actor=SYSTEM, work_relation=relation)
    assert web_roles(TOM, setting.world.n) == ()
    assert not works(secret)
    assert bearer(secret).get(ENTERPRISE).status_code == 401
    idm_services.work_relation_resume(actor=SYSTEM, work_relation=relation)
    assert works(secret)  # resumed: the same token works again, as the web


def test_a_natural_person_enterprises_representative_needs_a_grant(setting: Setting) -> None:
    with pytest.raises(NotAllowed):
        token_for(actor(TOM, N), setting.world.n)
    assert not ApiToken.objects.exists()


def test_a_stop_in_the_kbo_stops_a_legal_representatives_token(setting: Setting) -> None:
    _, secret = token_for(actor(SOFIE, A), setting.world.a)
    assert web_roles(SOFIE, setting.world.a) == (GEBRUIKER,)
    assert works(secret)
    Enterprise.objects.filter(pk=A).update(status="ST")
    assert Organisation.objects.get(pk=setting.world.a.pk).active  # only the KBO says it stopped
    assert web_roles(SOFIE, setting.world.a) == ()
    assert_refused(secret, ENTERPRISE, "organisation_inactive")
    Enterprise.objects.filter(pk=A).update(status="AC")
    assert works(secret)


def test_a_stop_in_the_kbo_stops_a_granted_users_token(setting: Setting) -> None:
    """B's employee with the profile Gebruiker by a grant: B stopped in the KBO stops his token too."""
    grant(JONAS, setting.enterprise, "Gebruiker")
    _, secret = token_for(actor(JONAS, B), setting.enterprise)
    assert works(secret)
    Enterprise.objects.filter(pk=B).update(status="ST")
    assert web_roles(JONAS, setting.enterprise) == ()
    assert services.api_token_check(secret).code == "organisation_inactive"


# --- a provider's token ---------------------------------------------------------------------------------


@pytest.fixture
def provider_n(setting: Setting) -> Provider:
    """Enterprise N (Tom's, a natural person) signed up as a provider."""
    return provider_services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=N, legal_name="Peeters Opleidingen", iban=IBAN_2)
    )


def test_an_ended_right_stops_a_natural_person_providers_token(
    setting: Setting, provider_n: Provider
) -> None:
    made = grant(TOM, setting.world.n, "DienstverlenerKmoPortefeuille")
    _, secret = token_for(actor(TOM, N), setting.world.n, TokenScope.PROVIDER)
    assert works(secret)
    assert bearer(secret).get(PROVIDER).status_code == 200
    idm_services.right_grant_end(actor=SYSTEM, grant=made)
    assert web_roles(TOM, setting.world.n) == ()
    assert_refused(secret, PROVIDER, "token_creator_not_allowed")


def test_a_paused_work_relation_stops_a_providers_token(setting: Setting, provider_n: Provider) -> None:
    made = grant(TOM, setting.world.n, "DienstverlenerKmoPortefeuille")
    _, secret = token_for(actor(TOM, N), setting.world.n, TokenScope.PROVIDER)
    assert works(secret)
    idm_services.work_relation_pause(
        actor=SYSTEM, work_relation=WorkRelation.objects.get(pk=made.work_relation_id)
    )
    assert not works(secret)


def test_a_natural_person_providers_representative_needs_a_grant(
    setting: Setting, provider_n: Provider
) -> None:
    with pytest.raises(NotAllowed):
        token_for(actor(TOM, N), setting.world.n, TokenScope.PROVIDER)
    assert not ApiToken.objects.exists()


def test_an_application_managers_token_stops_with_his_right_in_the_provider(
    setting: Setting, app_manager: Actor
) -> None:
    """The application manager may manage any provider, but his token for A works only while he may act for A
    (as on the web: "aanmelden als" A needs a right there)."""
    made = grant(BART, setting.world.a, "DienstverlenerKmoPortefeuille")
    _, secret = token_for(actor(BART, A), setting.world.a, TokenScope.PROVIDER)
    assert works(secret)
    idm_services.right_grant_end(actor=SYSTEM, grant=made)
    assert web_roles(BART, setting.world.a) == ()
    assert not works(secret)


def test_a_stop_in_the_kbo_stops_a_providers_tokens(setting: Setting) -> None:
    provider_services.provider_password_set(
        actor=SYSTEM, provider=setting.provider, password="Kmo-portefeuille-2025!"
    )
    setting.provider.refresh_from_db()
    organisation = setting.provider.organisation
    who = Actor.provider_password(setting.provider.login, organisation.code)
    _, password_secret = token_for(who, organisation, TokenScope.PROVIDER)
    _, person_secret = token_for(actor(SOFIE, A), organisation, TokenScope.PROVIDER)
    assert works(password_secret)
    assert works(person_secret)
    Enterprise.objects.filter(pk=A).update(status="ST")
    assert services.api_token_check(password_secret).code == "organisation_inactive"
    assert services.api_token_check(person_secret).code == "organisation_inactive"
    assert bearer(password_secret).get(PROVIDER).status_code == 401

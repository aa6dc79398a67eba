"""The seed's own login of a provider: a password set (random for the sign-up mail), stored hashed, and
"Login en paswoord wijzigen" with the old password; bad input changes nothing."""

from __future__ import annotations

import pytest

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm.errors import NotAllowed
from kmop.providers import services
from kmop.providers.errors import Conflict, ProviderError
from kmop.providers.models import Provider
from tests.idm.conftest import ELS, SYSTEM, B, World, actor
from tests.providers.conftest import IBAN_2, sign_up_data

pytestmark = pytest.mark.django_db

GOOD = "Kmo-Portefeuille-2025!"


def test_a_random_password_is_stored_hashed(provider: Provider) -> None:
    assert not services.provider_check_password(provider, "")
    password = services.provider_password_set(actor=SYSTEM, provider=provider)
    provider.refresh_from_db()
    assert len(password) >= 12
    assert password not in provider.password
    assert services.provider_check_password(provider, password)
    assert not services.provider_check_password(provider, password + "x")
    event = AuditEvent.objects.get(action="providers.provider.password_set")
    assert password not in str(event.after)


def test_change_login_and_password(provider: Provider, provider_user: Actor) -> None:
    old = services.provider_password_set(actor=SYSTEM, provider=provider)
    services.provider_credentials_change(
        actor=provider_user,
        provider=provider,
        new_login="leerwijs",
        old_password=old,
        new_password=GOOD,
        new_password_again=GOOD,
    )
    provider.refresh_from_db()
    assert provider.login == "leerwijs"
    assert services.provider_check_password(provider, GOOD)
    assert not services.provider_check_password(provider, old)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"old_password": "wrong"}, "old_password"),
        ({"new_password_again": GOOD + "x"}, "new_password_again"),
        ({"new_password": "short", "new_password_again": "short"}, "new_password"),
        ({"new_login": " "}, "new_login"),
    ],
)
def test_change_refuses_bad_input_and_changes_nothing(
    provider: Provider, overrides: dict[str, str], field: str
) -> None:
    old = services.provider_password_set(actor=SYSTEM, provider=provider)
    data = {"new_login": "leerwijs", "old_password": old, "new_password": GOOD, "new_password_again": GOOD}
    data.update(overrides)
    with pytest.raises(ProviderError) as refused:
        services.provider_credentials_change(actor=SYSTEM, provider=provider, **data)
    assert refused.value.field == field
    provider.refresh_from_db()
    assert provider.login == provider.enterprise_number
    assert services.provider_check_password(provider, old)


def test_a_login_in_use_and_another_organisation_are_refused(provider: Provider, world: World) -> None:
    other = services.provider_sign_up(actor=SYSTEM, **sign_up_data(enterprise_number=B, iban=IBAN_2))
    old = services.provider_password_set(actor=SYSTEM, provider=provider)
    with pytest.raises(Conflict):
        services.provider_credentials_change(
            actor=SYSTEM,
            provider=provider,
            new_login=other.login,
            old_password=old,
            new_password=GOOD,
            new_password_again=GOOD,
        )
    with pytest.raises(NotAllowed):
        services.provider_password_set(actor=actor(ELS), provider=provider)

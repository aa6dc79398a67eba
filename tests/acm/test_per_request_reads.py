"""The two reads of every logged-in request, each one SQL statement: the session of the cookie
(``kmop.acm.sessions``) and its user (``kmop.acm.backends``); they give what Django's own give."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kmop.acm.backends import UserBackend
from kmop.acm.models import User
from kmop.acm.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _saved(data: dict[str, object]) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    assert store.session_key is not None
    return store.session_key


def test_the_session_loads_as_djangos_in_one_statement() -> None:
    key = _saved({"a": 1, "naam": "Eén"})
    with CaptureQueriesContext(connection) as queries:
        loaded = SessionStore(key).load()
    assert loaded == DjangoStore(key).load() == {"a": 1, "naam": "Eén"}
    assert len(queries) == 1


@pytest.mark.parametrize("expired", [True, False], ids=["expired", "unknown"])
def test_an_expired_or_unknown_session_is_empty_and_forgets_its_key(expired: bool) -> None:
    key = _saved({"a": 1})
    if expired:
        Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    else:
        key = "x" * 32
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None


def test_the_user_is_djangos_user_in_one_statement() -> None:
    user = User.objects.create_user(
        "83041899839", first_name="An", last_name="Wouters", national_number="83041899839"
    )
    with CaptureQueriesContext(connection) as queries:
        read = UserBackend().get_user(user.pk)
    assert len(queries) == 1
    expected = ModelBackend().get_user(user.pk)
    assert read is not None
    assert expected is not None
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(read, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert read._state.adding is False
    assert read._state.db == "default"
    assert read.get_session_auth_hash() == user.get_session_auth_hash()


def test_no_user_for_an_unknown_inactive_or_malformed_id() -> None:
    user = User.objects.create_user("inactief", is_active=False)
    backend = UserBackend()
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None
    assert backend.get_user("geen getal") is None

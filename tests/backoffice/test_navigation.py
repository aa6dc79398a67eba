"""The header links to the parts of the platform the person may use for the organisation acted for."""

from __future__ import annotations

from django.test import Client

from tests.backoffice.conftest import login
from tests.projects.conftest import AN, ELS
from tests.wallet.conftest import Setting


def _header(client: Client) -> str:
    html = client.get("/").content.decode()
    return html[html.index("site-header__tools") : html.index("</header>")]


def test_staff_see_the_back_office_not_the_e_loket(client: Client, setting: Setting) -> None:
    header = _header(login(client, AN))
    assert 'href="/backoffice/"' in header
    assert 'href="/e-loket/"' not in header


def test_an_enterprise_sees_its_e_loket_not_the_back_office(client: Client, setting: Setting) -> None:
    header = _header(login(client, ELS))
    assert 'href="/e-loket/"' in header
    assert 'href="/backoffice/"' not in header


def test_nobody_logged_in_sees_neither(client: Client, setting: Setting) -> None:
    header = _header(client)
    assert "/e-loket/" not in header
    assert "/backoffice/" not in header

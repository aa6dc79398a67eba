"""The work queues' rows (``kmop.backoffice.queue_rows``, rendered in Python): the take/release form of a row
works as the browser sends it, values are escaped, amounts and dates are shown as on the other screens, and
the labels follow the page's language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation
from django.utils.text import Truncator

from kmop.backoffice import assignments
from kmop.backoffice.models import Assignment, Queue
from kmop.backoffice.queue_rows import TEXT_CUT, _cut
from kmop.web.rows import day
from tests.backoffice.conftest import Setting, stop_requested
from tests.backoffice.test_deposits import unmatched

STOPS = "/backoffice/stopzettingen/"


class _Forms(HTMLParser):
    """The take/release forms of a page: (action, fields with the pressed button's name and value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._form: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("class") == "inline-form":
            self._form = (a["action"], {})
        elif self._form is not None and tag in ("input", "button") and a.get("name"):
            self._form[1][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def row_forms(client: Client, url: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(client.get(url).content.decode())
    return parser.forms


def test_a_rows_form_takes_the_item_and_then_releases_it(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    [(action, fields)] = row_forms(staff, STOPS)
    assert (fields["queue"], fields["key"], fields["next"]) == (Queue.STOPS, project.number, STOPS)
    assert fields["action"] == "nemen"
    assert staff.post(action, fields)["Location"] == STOPS
    assert Assignment.objects.get(queue=Queue.STOPS, key=project.number).assignee.username.endswith(
        "83041899839"
    )
    [(action, fields)] = row_forms(staff, STOPS)
    assert fields["action"] == "vrijgeven"
    page = staff.get(STOPS).content.decode()
    assert '<td class="queue-assignee">\n  <span>An ' in page
    staff.post(action, fields)
    assert not Assignment.objects.exists()


def test_values_are_escaped_and_long_texts_cut(staff: Client, setting: Setting) -> None:
    stop_requested(setting, reason="<script>alert(1)</script> & " + "x" * 200)
    page = staff.get(STOPS).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; xxx" in page
    assert "x" * 200 not in page
    assert "x" * 90 + "…" in page


def test_an_unmatched_deposit_shows_its_amount_and_a_manual_refund(staff: Client, setting: Setting) -> None:
    payout = unmatched("1234.50", iban="XX00")
    page = staff.get("/backoffice/stortingen/").content.decode()
    assert '<th scope="row">€ 1.234,50</th>' in page
    assert '<strong class="tag tag--orange">manueel: geen geldige rekening</strong>' in page
    link = f'href="/backoffice/stortingen/{payout.pk}/">Behandelen'
    assert f'{link}<span class="visually-hidden"> (storting van € 1.234,50 van ' in page


def test_the_rows_follow_the_language(staff: Client, setting: Setting) -> None:
    stop_requested(setting)
    page = staff.get(STOPS, headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    with translation.override("en"):
        from django.utils.translation import gettext

        take, decide = gettext("Nemen"), gettext("Beslissen")
    assert take != "Nemen"
    assert f">{take}<span" in page
    assert f">{decide}<span" in page
    # every label of the row, the screen readers' hidden ones too
    assert '<span class="visually-hidden"> on project ' in page
    assert '<span class="visually-hidden"> (project ' in page


def test_an_english_deposit_row(staff: Client, setting: Setting) -> None:
    unmatched("80.00", iban="XX00")
    page = staff.get("/backoffice/stortingen/", headers={"accept-language": "en"}).content.decode()
    assert ">manual: no valid account</strong>" in page
    assert "(deposit of € 80.00 from " in page


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "kort & <b>",
        "y" * TEXT_CUT,
        "y" * (TEXT_CUT + 1),
        "e\u0301" * TEXT_CUT,  # combining accents: 240 code points, 120 characters shown whole
        "é" * (TEXT_CUT - 1) + " woord dat te lang is",
    ],
)
def test_a_text_is_cut_as_truncatechars(text: str | None) -> None:
    assert _cut(text) == escape(Truncator(text or "").chars(TEXT_CUT))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2025, 3, 9, 23, 30, tzinfo=UTC), "10/03/2025"),  # Brussels: 10 March, 00:30
        (datetime(2025, 7, 1, 21, 59, tzinfo=UTC), "01/07/2025"),
        (date(2025, 3, 9), "09/03/2025"),
        (None, ""),
    ],
)
def test_a_moment_is_shown_as_its_day_in_brussels(value: object, shown: str) -> None:
    assert day(value) == shown  # type: ignore[arg-type]


def test_a_capped_queue_does_not_claim_a_last_page(
    staff: Client, setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted up to the cap, a queue does not know its last page: "Pagina 1", not "Pagina 1 van 2"."""
    monkeypatch.setattr(assignments, "COUNT_CAP", 1)
    monkeypatch.setattr(assignments, "QUEUE_PAGE", 1)
    stop_requested(setting)
    stop_requested(setting, reason="Tweede vraag.")
    stop_requested(setting, reason="Derde vraag.")
    page = staff.get(STOPS).content.decode()
    assert "Meer dan 1 items wachten" in page
    assert "<span>Pagina 1</span>" in page
    assert "Pagina 1 van" not in page
    assert 'rel="next"' in page

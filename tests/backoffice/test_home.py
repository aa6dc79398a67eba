"""The back office's home (issue 6): per work queue what waits, what the staff member took and what nobody
took, each count a link to the queue with that filter; a count stops at the queues' cap."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kmop.backoffice import overview
from kmop.backoffice.models import Queue
from tests.backoffice.conftest import Setting, stop_requested
from tests.backoffice.test_assignments import act, colleague  # noqa: F401 (a fixture)

HOME = "/backoffice/"


def _row(html: str, title: str) -> list[str]:
    """The three counts of a queue's row, as shown (the links' visible text)."""
    start = html.index(f">{title}</a></th>")
    row = html[start : html.index("</tr>", start)]
    return [
        re.sub(r"<span.*", "", cell).strip()
        for cell in re.findall(r'<td class="numeric"><a [^>]*>(.*?)</a>', row)
    ]


def test_the_home_shows_each_queue_with_mine_and_free(
    staff: Client,
    colleague: Client,  # noqa: F811
    setting: Setting,
) -> None:
    mine = stop_requested(setting)
    theirs = stop_requested(setting, reason="Tweede vraag.")
    stop_requested(setting, reason="Derde vraag.")
    act(staff, "nemen", Queue.STOPS, mine.number)
    act(colleague, "nemen", Queue.STOPS, theirs.number)

    html = staff.get(HOME).content.decode()
    assert _row(html, "Vragen tot stopzetting") == ["3", "1", "1"]
    assert 'href="/backoffice/stopzettingen/?behandelaar=mijn"' in html
    assert 'href="/backoffice/stopzettingen/?behandelaar=vrij"' in html
    assert _row(html, "Registraties van dienstverleners") == ["0", "0", "0"]
    assert _row(html, "Meldingen over dienstverleners") == ["0", "0", "0"]
    assert _row(html, "Niet-herkende stortingen") == ["0", "0", "0"]
    # the colleague sees the same queue from his side
    assert _row(colleague.get(HOME).content.decode(), "Vragen tot stopzetting") == ["3", "1", "1"]
    # a decided item leaves every count
    staff.post(
        f"/backoffice/stopzettingen/{mine.number}/", {"decision": "weigeren", "reason": "Geen bewijs."}
    )
    assert _row(staff.get(HOME).content.decode(), "Vragen tot stopzetting") == ["2", "0", "1"]


def test_a_count_over_the_cap_says_more_than(
    staff: Client, setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        stop_requested(setting, reason=f"Vraag {n}.")
    monkeypatch.setattr(overview, "COUNT_CAP", 2)
    html = staff.get(HOME).content.decode()
    assert _row(html, "Vragen tot stopzetting") == ["meer dan 2", "0", "meer dan 2"]

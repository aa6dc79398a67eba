"""The back office's home: what waits in each work queue, how much of it the staff member took and how much
nobody took yet (``assignments``' filters), each count stopping at ``COUNT_CAP`` as the queues' own pages do
(a count over a national backlog costs more than the page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kmop.backoffice import selectors
from kmop.backoffice.assignments import ALL, COUNT_CAP, FREE, MINE, capped_count, filter_queue
from kmop.backoffice.models import Queue
from kmop.providers import selectors as provider_selectors


def _reports() -> QuerySet[Any]:
    from kmop.projects.models import ProjectReport, ProjectReportStatus

    return ProjectReport.objects.filter(status=ProjectReportStatus.OPEN)


def _deposits() -> QuerySet[Any]:
    from kmop.wallet.reconcile import unmatched_open

    return unmatched_open()


@dataclass(frozen=True)
class QueueSpec:
    queue: str
    title: str | Promise
    url_name: str
    items: Callable[[], QuerySet[Any]]


#: the work queues in the order of the home page
QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        Queue.REGISTRATIONS,
        _("Registraties van dienstverleners"),
        "backoffice:registrations",
        provider_selectors.pending_registrations,
    ),
    QueueSpec(Queue.STOPS, _("Vragen tot stopzetting"), "backoffice:stop-requests", selectors.stop_requests),
    QueueSpec(Queue.REPORTS, _("Meldingen over dienstverleners"), "backoffice:reports", _reports),
    QueueSpec(Queue.DEPOSITS, _("Niet-herkende stortingen"), "backoffice:deposits", _deposits),
)


@dataclass(frozen=True)
class Count:
    value: int
    url: str

    @property
    def capped(self) -> bool:
        return self.value > COUNT_CAP

    @property
    def shown(self) -> int:
        return min(self.value, COUNT_CAP)


@dataclass(frozen=True)
class QueueLine:
    title: str | Promise
    url: str
    waiting: Count
    mine: Count
    free: Count

    @property
    def counts(self) -> tuple[tuple[Count, str | Promise], ...]:
        """The three counts with their column's heading (for the link's hidden text)."""
        return (
            (self.waiting, _("wachtend")),
            (self.mine, _("aan mij toegewezen")),
            (self.free, _("niet toegewezen")),
        )


def work_overview(user: Any) -> list[QueueLine]:
    """Per work queue: the items waiting, those assigned to ``user`` and those nobody took."""
    lines = []
    for spec in QUEUES:
        url = reverse(spec.url_name)
        items = spec.items()
        counts = {
            which: Count(
                capped_count(filter_queue(items, spec.queue, which, user)),
                url if which == ALL else f"{url}?behandelaar={which}",
            )
            for which in (ALL, MINE, FREE)
        }
        lines.append(QueueLine(spec.title, url, counts[ALL], counts[MINE], counts[FREE]))
    return lines

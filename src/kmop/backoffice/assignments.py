"""Assignment of the work queues' items (issue 6): a staff member takes an item ("Nemen") so colleagues see it
is being handled, and gives it back ("Vrijgeven"); each queue can be filtered on all items, mine, or the ones
nobody took. Taking and releasing are audited (``backoffice.assignment.take``/``.release``).

An item is named by its queue and a key (``models.Assignment``): a registration's number, a project's number
(stop requests), a report's or a payout's id. ``filter_queue`` keeps the items that are mine or free
(``IN``/``NOT EXISTS`` on the assignments' indexes), ``with_assignee`` annotates the rows with who
took them, and ``attach_assignees`` reads the names of a page's assignees (one query); the filter, the count
and the paging work in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, cast

from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, CharField, Exists, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kmop.acm.models import User
from kmop.audit.services import Actor, audit_record
from kmop.backoffice.models import Assignment, Queue
from kmop.idm.errors import IdmError

#: the field of each queue's rows that is the item's key
KEY_FIELDS: dict[str, str] = {
    Queue.REGISTRATIONS: "number",
    Queue.STOPS: "number",
    Queue.REPORTS: "pk",
    Queue.DEPOSITS: "pk",
}

ALL, MINE, FREE = "alle", "mijn", "vrij"
FILTERS: tuple[tuple[str, Any], ...] = (
    (ALL, gettext_lazy("Alle")),
    (MINE, gettext_lazy("Aan mij toegewezen")),
    (FREE, gettext_lazy("Niet toegewezen")),
)
TAKE, RELEASE = "nemen", "vrijgeven"


class AssignmentError(IdmError):
    default_code = "assignment"


def _key_ref(queue: str) -> Any:
    field = KEY_FIELDS[queue]
    return OuterRef(field) if field != "pk" else Cast(OuterRef("pk"), output_field=CharField())


def with_assignee[M: Model](queryset: QuerySet[M], queue: str) -> QuerySet[M]:
    """``assignee_id`` on each row: who took the item, or None."""
    taken = Assignment.objects.filter(queue=queue, key=_key_ref(queue)).values("assignee_id")[:1]
    return cast("QuerySet[M]", queryset.annotate(assignee_id=Subquery(taken)))


def filter_queue[M: Model](queryset: QuerySet[M], queue: str, which: str, user: Any) -> QuerySet[M]:
    """The queue's rows that are the user's (``IN`` the keys of their few assignments), or free (``NOT
    EXISTS``, which PostgreSQL runs as an anti-join instead of a subquery per row), or all."""
    if which == MINE:
        mine = Assignment.objects.filter(queue=queue, assignee_id=user.pk)
        field = KEY_FIELDS[queue]
        keys = (
            mine.values("key")
            if field != "pk"
            else mine.annotate(n=Cast("key", BigIntegerField())).values("n")
        )
        return queryset.filter(**{f"{field}__in": keys})
    taken = Assignment.objects.filter(queue=queue, key=_key_ref(queue))
    if which == FREE:
        return queryset.filter(~Exists(taken))
    return queryset


def queue_filter(request: HttpRequest) -> str:
    """The filter asked for (``?behandelaar=alle|mijn|vrij``), all by default."""
    which = request.GET.get("behandelaar", ALL)
    return which if which in dict(FILTERS) else ALL


def queue_rows[M: Model](request: HttpRequest, queryset: QuerySet[M], queue: str) -> QuerySet[M]:
    """A queue's rows with their assignee, filtered as the request asks."""
    return with_assignee(filter_queue(queryset, queue, queue_filter(request), request.user), queue)


def queue_context(request: HttpRequest, queue: str) -> dict[str, Any]:
    """What ``backoffice/partials/queue.html`` needs (the form's address and return path once, not a row)."""
    return {
        "queue": queue,
        "queue_filters": FILTERS,
        "queue_filter": queue_filter(request),
        "assign_url": reverse("backoffice:assign"),
        "queue_next": request.get_full_path(),
    }


#: items per page of a work queue
QUEUE_PAGE = 50
#: a queue's items are counted up to this many ("meer dan 1.000"): staff work from the oldest, and counting
#: further costs more than the page (a backlog of 150,000 stop requests took 30 ms to count to 10,000)
COUNT_CAP = 1_000


def capped_count(queryset: QuerySet[Any]) -> int:
    """How many rows, counted up to ``COUNT_CAP + 1``, of their keys only: the rows' annotations (the
    assignee, a stop's reason: a subquery each) are not computed for the count."""
    return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()


class CappedPaginator(Paginator):
    """Counts with ``capped_count`` (a count over a national backlog costs more than the page), the rows of
    ``counted`` when given: the queryset before the page's columns were chosen, whose joins the count does
    not need."""

    def __init__(self, object_list: Any, per_page: int, *, counted: QuerySet[Any] | None = None) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return capped_count(cast("QuerySet[Any]", self.object_list if self.counted is None else self.counted))


def queue_page(
    request: HttpRequest, queryset: QuerySet[Any], queue: str, anchor: str, fields: Sequence[str]
) -> dict[str, Any]:
    """A queue's page as the request asks (filter, ``?pagina=``): ``rows`` (named rows of ``fields`` and
    ``assignee_id``: a page of 50 items with their related rows costs a quarter of model instances),
    ``assignees`` (the users who took them, by id), ``count`` (the items of the filter, up to ``COUNT_CAP``;
    ``capped`` when there are more), ``section`` (the page links) and what the filter partial needs."""
    from kmop.backoffice.views_enterprises import section

    filtered = queue_rows(request, queryset, queue)
    rows = filtered.values_list(*fields, "assignee_id", named=True)
    paginator = partial(CappedPaginator, counted=filtered)
    page = section(request, rows, "pagina", anchor, per_page=QUEUE_PAGE, paginator=paginator)
    listed = list(page.page.object_list)
    count = page.page.paginator.count
    return {
        "rows": listed,
        "assignees": assignees_of(listed),
        "count": min(count, COUNT_CAP),
        "capped": count > COUNT_CAP,
        "section": page,
        **queue_context(request, queue),
    }


def assignees_of(rows: Sequence[Any]) -> dict[int, User]:
    """The users who took these rows (``assignee_id`` of ``with_assignee``), by id; one query, none when
    nobody took any."""
    ids = {row.assignee_id for row in rows if row.assignee_id is not None}
    if not ids:
        return {}
    return {u.pk: u for u in User.objects.filter(pk__in=ids).only("username", "first_name", "last_name")}


def item_assignee(queue: str, key: str) -> User | None:
    found = Assignment.objects.filter(queue=queue, key=key).select_related("assignee").first()
    return found.assignee if found else None


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _item_key(queue: str, key: str) -> str:
    """The key as the queue's rows name the item: a report's or a payout's id without leading zeros (``007``
    is item 7, not a second item next to it that the list would never show as taken)."""
    if KEY_FIELDS.get(queue) == "pk" and len(key) <= 40 and key.isascii() and key.isdigit():
        return str(int(key))
    return key


def _is_open(queue: str, key: str) -> bool:
    """Whether ``key`` names an item waiting in ``queue``."""
    from kmop.projects.models import Project, ProjectReport, ProjectReportStatus, ProjectStatus
    from kmop.providers.models import PENDING_STATUSES, Registration
    from kmop.wallet.reconcile import unmatched_open

    if not key or len(key) > 40 or "\x00" in key:
        return False
    if queue == Queue.REGISTRATIONS:
        return Registration.objects.filter(number=key, status__in=PENDING_STATUSES).exists()
    if queue == Queue.STOPS:
        return Project.objects.filter(number=key, status=ProjectStatus.STOPZETTING_AANGEVRAAGD).exists()
    if not (key.isascii() and key.isdigit()):
        return False
    if queue == Queue.REPORTS:
        return ProjectReport.objects.filter(pk=int(key), status=ProjectReportStatus.OPEN).exists()
    if queue == Queue.DEPOSITS:
        return unmatched_open().filter(pk=int(key)).exists()
    return False


def take(*, actor: Actor, queue: str, key: str) -> Assignment:
    """The actor takes the item; refused when a colleague has it (release it first) or the item does not
    wait in the queue (any more)."""
    key = _item_key(queue, key)
    if queue not in KEY_FIELDS or not _is_open(queue, key):
        raise AssignmentError(
            _("Onbekend item van een werklijst: het werd misschien al behandeld."), code="unknown_item"
        )
    user = actor.user
    if user is None:
        raise AssignmentError(_("Enkel een medewerker kan een item nemen."), code="no_person")
    try:
        with transaction.atomic():
            current = Assignment.objects.select_for_update().filter(queue=queue, key=key).first()
            if current is not None:
                if current.assignee_id == user.pk:
                    return current
                raise AssignmentError(
                    _("%(name)s behandelt dit item al. Geef het eerst vrij als u het wilt overnemen."),
                    code="taken",
                    name=_name(current.assignee),
                )
            assignment = Assignment.objects.create(
                queue=queue, key=key, assignee=user, assigned_by=actor.label[:200]
            )
            audit_record(
                actor=actor,
                action="backoffice.assignment.take",
                object_type=f"backoffice.{queue}",
                object_id=key,
                after={"assignee": user.get_username()},
            )
            return assignment
    except IntegrityError:  # a colleague took it at the same moment
        raise AssignmentError(
            _("Een collega nam dit item net. Bekijk de lijst opnieuw."), code="taken"
        ) from None


def release(*, actor: Actor, queue: str, key: str) -> None:
    """Give the item back (the person who had it, or a colleague: audited with who had it)."""
    key = _item_key(queue, key)
    with transaction.atomic():
        current = (
            Assignment.objects.select_for_update()
            .select_related("assignee")
            .filter(queue=queue, key=key)
            .first()
        )
        if current is None:
            return
        audit_record(
            actor=actor,
            action="backoffice.assignment.release",
            object_type=f"backoffice.{queue}",
            object_id=key,
            before={"assignee": current.assignee.get_username()},
        )
        current.delete()


def finish(queue: str, key: str) -> None:
    """The item left its queue (decided): its assignment ends with it (the decision is audited itself)."""
    Assignment.objects.filter(queue=queue, key=key).delete()


def _open_keys(queue: str) -> QuerySet[Any]:
    """The keys of the items waiting in ``queue``, as the assignments store them (text)."""
    from kmop.projects.models import Project, ProjectReport, ProjectReportStatus, ProjectStatus
    from kmop.providers.models import PENDING_STATUSES, Registration
    from kmop.wallet.reconcile import unmatched_open

    if queue == Queue.REGISTRATIONS:
        return Registration.objects.filter(status__in=PENDING_STATUSES).values("number")
    if queue == Queue.STOPS:
        return Project.objects.filter(status=ProjectStatus.STOPZETTING_AANGEVRAAGD).values("number")
    waiting: QuerySet[Any] = (
        ProjectReport.objects.filter(status=ProjectReportStatus.OPEN)
        if queue == Queue.REPORTS
        else unmatched_open().order_by()
    )
    return waiting.annotate(key=Cast("pk", output_field=CharField())).values("key")


def clear_finished() -> int:
    """End the assignments of items that left their queue another way than through the queue's page (a
    decision by the administrator, a daily job, a measure, a race between taking and deciding), so that an
    item that comes back (a new stop request of the same project) is free; returns how many ended. The
    assignments are few (the items staff took), so each queue's check is one anti-join."""
    ended = 0
    for queue in KEY_FIELDS:
        ended += Assignment.objects.filter(queue=queue).exclude(key__in=_open_keys(queue)).delete()[0]
    return ended

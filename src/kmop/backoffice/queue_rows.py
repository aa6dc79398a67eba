"""The table rows of the four work queues, rendered in Python (``kmop.web.rows``): a page shows 50 items, each
with its "Behandelaar" cell and take/release form; in the template language those rows were two thirds of
the page's time. The markup is the one the templates had; labels, URL patterns and the form's fixed fields
are resolved once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from kmop.backoffice.assignments import RELEASE, TAKE
from kmop.backoffice.selectors import StopRequestDetails
from kmop.providers.models import Level, Registration
from kmop.registers.numbers import format_enterprise_number
from kmop.web.rows import choice_labels, day, esc, url_of

#: the length at which a reason, message or memo is cut in a queue's row (``truncatechars``)
TEXT_CUT = 120

#: the columns of each queue's rows (``values_list``, named): the key first
REGISTRATION_FIELDS = (
    "number",
    "service",
    "basis",
    "status",
    "status_changed_at",
    "department_id",
    "department__department__name",
    "provider__legal_name",
    "provider__enterprise_number",
)
STOP_FIELDS = ("pk", "number", "organisation__name", "registration__provider__legal_name")
REPORT_FIELDS = (
    "pk",
    "project__number",
    "provider_organisation__name",
    "project__organisation__name",
    "created_at",
    "message",
)
DEPOSIT_FIELDS = ("pk", "amount", "name", "iban", "transaction__created_at", "transaction__memo")


def _cut(text: str | None) -> str:
    """``truncatechars``: a text of at most ``TEXT_CUT`` characters is shown whole without the Truncator,
    which normalises and walks every character (half of a reports' page's rows)."""
    if not text:
        return ""
    return esc(text if len(text) <= TEXT_CUT else Truncator(text).chars(TEXT_CUT))


class AssigneeCell:
    """The cell "Behandelaar": who took the item, and the form to take it (nobody has it) or release it."""

    def __init__(self, request: HttpRequest, page: dict[str, Any]) -> None:
        self.assignees = page["assignees"]
        fixed = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(get_token(request))}">\n'
            f'    <input type="hidden" name="queue" value="{esc(page["queue"])}">\n'
        )
        self.head = (
            f'\n  <form method="post" action="{esc(page["assign_url"])}" class="inline-form">\n    {fixed}'
        )
        self.next = f'    <input type="hidden" name="next" value="{esc(page["queue_next"])}">\n'
        button = (
            '    <button type="submit" name="action" value="{}" '
            'class="button button--secondary button--small">{}'
        )
        self.take = button.format(TAKE, esc(_("Nemen")))
        self.release = button.format(RELEASE, esc(_("Vrijgeven")))

    def __call__(self, row: Any, key: object, key_label: str) -> str:
        assignee = self.assignees.get(row.assignee_id) if row.assignee_id is not None else None
        name = esc(assignee.get_full_name() or assignee.get_username()) if assignee else "—"
        button = self.release if assignee else self.take
        return (
            f'<td class="queue-assignee">\n  <span>{name}</span>{self.head}'
            f'    <input type="hidden" name="key" value="{esc(key)}">\n{self.next}'
            f'{button}<span class="visually-hidden"> {key_label}</span></button>\n  </form>\n</td>'
        )


def _action(url: str, text: str, hidden: str) -> str:
    """The row's last cell: its link (``text`` and ``hidden``, the screen readers' rest of it, escaped)."""
    return f'\n    <td><a href="{esc(url)}">{text}<span class="visually-hidden"> {hidden}</span></a></td>'


def _rows(items: Iterable[Any], row: Callable[[Any], str]) -> SafeString:
    return mark_safe("".join(f"<tr>\n    {row(item)}\n  </tr>" for item in items))  # noqa: S308 - escaped


def registration_rows(request: HttpRequest, page: dict[str, Any]) -> SafeString:
    assignee = AssigneeCell(request, page)
    decide_url = url_of("backoffice:registration-decide")
    decide = esc(_("Beslissen"))
    key_label, about = _("(registratie %(number)s)"), _("over registratie %(number)s")
    service, basis, status = (choice_labels(Registration, f) for f in ("service", "basis", "status"))

    def row(r: Any) -> str:
        if r.department_id is not None:
            holder, level = r.department__department__name, Level.DEPARTMENT
        else:
            holder, level = r.provider__legal_name, Level.REGISTERED_OFFICE
        return (
            f'<th scope="row">{esc(r.number)}</th>\n    <td>{esc(holder)}</td>\n'
            f"    <td>{esc(format_enterprise_number(r.provider__enterprise_number))}</td>\n"
            f"    <td>{esc(level)}</td>\n"
            f"    <td>{service(r.service)}</td>\n    <td>{basis(r.basis)}</td>\n"
            f'    <td><abbr title="{status(r.status)}">{esc(r.status)}</abbr></td>\n'
            f"    <td>{day(r.status_changed_at)}</td>\n    "
            + assignee(r, r.number, esc(key_label % {"number": r.number}))
            + _action(decide_url(r.number), decide, esc(about % {"number": r.number}))
        )

    return _rows(page["rows"], row)


def stop_rows(
    request: HttpRequest, page: dict[str, Any], details: dict[int, StopRequestDetails]
) -> SafeString:
    """The stop requests' rows; ``details``: each project's request (``selectors.stop_request_details``)."""
    assignee = AssigneeCell(request, page)
    decide_url, proof_url = url_of("backoffice:stop-decide"), url_of("backoffice:stop-proof")
    decide, download = esc(_("Beslissen")), esc(_("downloaden"))
    proof_label, key_label = _("(bewijsstuk van project %(number)s)"), _("(project %(number)s)")
    about = _("over project %(number)s")
    none = StopRequestDetails(at=None, reason="", proof_name="")  # no request in its history

    def row(p: Any) -> str:
        number = p.number
        request = details.get(p.pk, none)
        proof = "—"
        if request.proof_name:
            hidden = esc(proof_label % {"number": number})
            proof = (
                f'<a href="{esc(proof_url(number))}" download>{download}'
                f'<span class="visually-hidden"> {hidden}</span></a>'
            )
        return (
            f'<th scope="row">{esc(number)}</th>\n    <td>{esc(p.organisation__name)}</td>\n'
            f"    <td>{esc(p.registration__provider__legal_name)}</td>\n"
            f"    <td>{day(request.at)}</td>\n    <td>{_cut(request.reason)}</td>\n"
            f"    <td>{proof}</td>\n    "
            + assignee(p, number, esc(key_label % {"number": number}))
            + _action(decide_url(number), decide, esc(about % {"number": number}))
        )

    return _rows(page["rows"], row)


def report_rows(request: HttpRequest, page: dict[str, Any]) -> SafeString:
    assignee = AssigneeCell(request, page)
    report_url = url_of("backoffice:report")
    view = esc(_("Bekijken"))
    key_label, about = _("(melding over project %(number)s)"), _("de melding over project %(number)s")

    def row(r: Any) -> str:
        number = r.project__number
        return (
            f'<th scope="row">{esc(number)}</th>\n    <td>{esc(r.provider_organisation__name)}</td>\n'
            f"    <td>{esc(r.project__organisation__name)}</td>\n    <td>{day(r.created_at)}</td>\n"
            f"    <td>{_cut(r.message)}</td>\n    "
            + assignee(r, r.pk, esc(key_label % {"number": number}))
            + _action(report_url(r.pk), view, esc(about % {"number": number}))
        )

    return _rows(page["rows"], row)


def deposit_rows(request: HttpRequest, page: dict[str, Any]) -> SafeString:
    assignee = AssigneeCell(request, page)
    deposit_url = url_of("backoffice:deposit")
    handle = esc(_("Behandelen"))
    manual_text = esc(_("manueel: geen geldige rekening"))
    manual = f'<strong class="tag tag--orange">{manual_text}</strong>'
    key_label = _("(storting van € %(amount)s van %(name)s)")

    def row(d: Any) -> str:
        amount = floatformat(d.amount, "2g")
        label = esc(key_label % {"amount": amount, "name": d.name})
        return (
            f'<td>{day(d.transaction__created_at)}</td>\n    <th scope="row">€ {esc(amount)}</th>\n'
            f"    <td>{esc(d.name)}</td>\n    <td>{esc(d.iban) if d.iban else manual}</td>\n"
            f"    <td>{_cut(d.transaction__memo)}</td>\n    "
            + assignee(d, d.pk, label)
            + _action(deposit_url(d.pk), handle, label)
        )

    return _rows(page["rows"], row)

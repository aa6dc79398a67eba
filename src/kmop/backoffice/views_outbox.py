"""The back office's "Berichten" (issue 6 §5: "staff can see what was sent to whom"): the outbox, newest
first, filtered on recipient, channel and state, a page at a time (by id, no count over the whole outbox).

Only who, when, what about and how the delivery went are shown, never a body: mails and text messages carry
one-time secrets (security codes, password reset links) that staff must not be able to use."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from kmop.backoffice.decorators import staff_required
from kmop.backoffice.navigation import navigation
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.notifications.models import OutboxMessage

PAGE = 50
_COLUMNS = (
    "pk",
    "created_at",
    "channel",
    "recipient",
    "subject",
    "template",
    "state",
    "attempts",
    "sent_at",
    "error",
)


class OutboxFilterForm(forms.Form):
    aan = forms.CharField(
        label=gettext_lazy("Ontvanger (e-mailadres of gsm-nummer, of een deel ervan)"),
        max_length=320,
        required=False,
    )
    kanaal = forms.ChoiceField(
        label=gettext_lazy("Kanaal"),
        required=False,
        choices=[("", gettext_lazy("Alles")), *OutboxMessage.Channel.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Alles")), *OutboxMessage.State.choices],
    )


@staff_required
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    rows = OutboxMessage.objects.order_by("-pk")
    older_than = None
    if form.is_valid():
        data = form.cleaned_data
        if data["aan"].strip():
            rows = rows.filter(recipient__icontains=data["aan"].strip())
        if data["kanaal"]:
            rows = rows.filter(channel=data["kanaal"])
        if data["status"]:
            rows = rows.filter(state=data["status"])
    cursor = request.GET.get("ouder_dan", "")
    if cursor.isdigit() and len(cursor) < 19:  # the page's own link; anything else is the newest page
        older_than = int(cursor)
        rows = rows.filter(pk__lt=older_than)
    page = list(rows.values(*_COLUMNS)[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    channels = dict(OutboxMessage.Channel.choices)
    states = dict(OutboxMessage.State.choices)
    for row in page:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["state_label"] = states.get(row["state"], row["state"])
    query = request.GET.copy()
    query.pop("ouder_dan", None)
    newest_url = f"?{query.urlencode()}" if older_than else ""
    if more and page:
        query["ouder_dan"] = str(page[-1]["pk"])
    return render(
        request,
        "backoffice/outbox.html",
        {
            "backoffice_nav": navigation(request),
            "may_act": can_act_in_backoffice(request.acting),  # type: ignore[attr-defined]
            "form": form,
            "messages_page": page,
            "older_url": f"?{query.urlencode()}" if more and page else "",
            "newest_url": newest_url,
        },
    )

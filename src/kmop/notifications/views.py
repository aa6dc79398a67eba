"""Demo only: the outbox, to read the e-mails and sms the platform "sent" (codes, reminders)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kmop.notifications.models import OutboxMessage

SHOWN = 100


@never_cache
@require_safe
def demo_outbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    messages = [
        message.for_display()  # a queued message is rendered for the page
        for message in OutboxMessage.objects.select_related("organisation", "person").order_by(
            "-created_at", "-pk"
        )[:SHOWN]
    ]
    return render(
        request,
        "notifications/demo_outbox.html",
        {"outbox": messages, "shown": SHOWN, "total": OutboxMessage.objects.count()},
    )

"""Every login (also the staff's password login in the admin) records its time for the absolute timeout."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from kmop.acm import session as keys


@receiver(user_logged_in, dispatch_uid="kmop.acm.login_time")
def record_login_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[keys.LOGIN_AT] = timezone.now().timestamp()

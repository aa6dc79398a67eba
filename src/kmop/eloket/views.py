"""The e-loket's views: thin, forms validate and the projects services act."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kmop.acm.decorators import acting_required


@acting_required
def enterprise_profile(request: HttpRequest) -> HttpResponse:
    return render(request, "eloket/enterprise_profile.html", {})

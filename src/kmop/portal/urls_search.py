"""The public "Zoek een dienstverlener" (mounted at ``/zoek-een-dienstverlener/``, namespace ``search``)."""

from django.urls import URLPattern

app_name = "search"

urlpatterns: list[URLPattern] = []

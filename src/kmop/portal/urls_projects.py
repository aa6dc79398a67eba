"""The portal's projects pages (included by ``kmop.portal.urls``, namespace ``portal``)."""

from django.urls import URLPattern, path

from kmop.portal import views

urlpatterns: list[URLPattern] = [
    path("", views.not_built, name="projects"),
]

"""The portal's organisation pages (included by ``kmop.portal.urls``, namespace ``portal``)."""

from django.urls import URLPattern, path

from kmop.portal import views

urlpatterns: list[URLPattern] = [
    path("dienstverleners/", views.not_built, name="departments"),
    path("vestigingen/", views.not_built, name="establishments"),
]

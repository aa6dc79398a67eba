"""The portal's account pages (included by ``kmop.portal.urls``, namespace ``portal``)."""

from django.urls import URLPattern, path

from kmop.portal import views

urlpatterns: list[URLPattern] = [
    path("login-wijzigen/", views.not_built, name="credentials"),
    path("aanmelden/", views.not_built, name="sign-up"),
    path("paswoord-vergeten/", views.not_built, name="password-forgotten"),
]

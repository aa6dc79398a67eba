"""The providers' portal, under ``/dienstverlener/`` (namespace ``portal``). Each area has its own module."""

from django.urls import include, path

from kmop.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.menu, name="menu"),
    path("login/", views.login, name="login"),
    path("uitloggen/", views.logout, name="logout"),
    path("", include("kmop.portal.urls_account")),
    path("registraties/", include("kmop.portal.urls_registrations")),
    path("", include("kmop.portal.urls_organisation")),
    path("projecten/", include("kmop.portal.urls_projects")),
    path("api-sleutels/", include("kmop.portal.urls_api")),
]

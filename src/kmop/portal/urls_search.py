"""The public "Zoek een dienstverlener" (mounted at ``/zoek-een-dienstverlener/``, namespace ``search``)."""

from django.urls import path

from kmop.portal import views_search

app_name = "search"

urlpatterns = [
    path("", views_search.search, name="search"),
    path("dienstverlener/<int:pk>/", views_search.detail, name="provider"),
    path("hoe-registreren/", views_search.how_to_register, name="how-to-register"),
]
